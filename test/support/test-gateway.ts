import { ModuleMetadata } from '@nestjs/common';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { AuditService } from '@vecgate/audit';
import { APPLICATION_OPTIONS, createAdapter, finishApp } from '../../apps/gateway/src/app.factory';
import { AppModule } from '../../apps/gateway/src/app.module';
import { GatewayConfig, loadGatewayConfig } from '../../apps/gateway/src/config/gateway.config';
import { createTempDatabase, TempDatabase } from './postgres';
import { TEST_SECRET, Tokens } from './tokens';

export interface TestGateway {
  readonly app: NestFastifyApplication;
  readonly http: TestAgent;
  /** The loopback port the gateway listens on (supertest reuses it: no listen per request). */
  readonly port: number;
  readonly config: GatewayConfig;
  readonly dataDir: string;
  readonly tokens: Tokens;
  /** Waits until every audit event so far is committed. */
  flushAudit(): Promise<void>;
  /** Stops the app; the data directory stays unless `removeData`. */
  close(removeData?: boolean): Promise<void>;
}

export interface StartOptions {
  readonly env?: Record<string, string>;
  /** Reuse a data directory (restart tests). */
  readonly dataDir?: string;
  /** Modules the test needs beside the app (e.g. DiscoveryModule to inspect routes). */
  readonly imports?: ModuleMetadata['imports'];
  /** Replace providers, e.g. wrap the vector store in a faulty adapter. */
  readonly override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'vecgate-test-'));
}

/**
 * With VECGATE_E2E_DATABASE_URL, a PostgreSQL database of its own per data directory (made from
 * that URL): a gateway and its restarts share a registry, and two gateways never do, since an
 * embedded tenant belongs to the one whose data directory holds it.
 */
const e2eDatabases = new Map<string, TempDatabase>();

async function e2eDatabaseFor(dataDir: string): Promise<string | undefined> {
  const admin = process.env.VECGATE_E2E_DATABASE_URL;
  if (!admin) return undefined;
  let database = e2eDatabases.get(dataDir);
  if (!database) {
    database = await createTempDatabase('vg_e2e', admin);
    e2eDatabases.set(dataDir, database);
  }
  return database.url;
}

/** Starts the whole gateway (production module, pipeline and Swagger) on a temp data dir. */
export async function startGateway(options: StartOptions = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? tempDataDir();
  const e2eDatabase = await e2eDatabaseFor(dataDir);
  const config = loadGatewayConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_SECRET,
    DATA_DIR: dataDir,
    METRICS_PORT: 'off',
    AUDIT_LOG: 'false',
    LOG_LEVEL: 'silent',
    // Runs a suite against PostgreSQL instead of SQLite for the registry and audit store.
    ...(e2eDatabase ? { DATABASE_URL: e2eDatabase } : {}),
    ...options.env,
  });
  let builder = Test.createTestingModule({
    imports: [AppModule.forRoot(config), ...(options.imports ?? [])],
  });
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  moduleRef.useLogger(['error']);
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createAdapter(config),
    APPLICATION_OPTIONS,
  );
  app.useLogger(['error']);
  await finishApp(app);
  // Listening before the first request: given a server that does not listen, supertest opens
  // and closes a port around every request.
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();
  const audit = app.get(AuditService);
  return {
    app,
    http: request(server),
    port: (server.address() as AddressInfo).port,
    config,
    dataDir,
    tokens: new Tokens(config),
    flushAudit: () => audit.flush(),
    async close(removeData = false) {
      await app.close();
      if (removeData) {
        rmSync(dataDir, { recursive: true, force: true });
        await e2eDatabases.get(dataDir)?.drop();
        e2eDatabases.delete(dataDir);
      }
    },
  };
}
