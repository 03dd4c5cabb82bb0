import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as Isolation from '@vecgate/isolation';
import { builtLibrary, MAIN } from '../../test/support/build-output';
import { freePort } from '../../test/support/gateway-process';
import { buildToken, TokenArgs } from '../token';
import {
  load,
  log,
  percentile,
  request,
  RunningServer,
  sleep,
  SearchRequest,
  startServer,
  summarize,
  Summary,
} from './measure';
import type { AuditMode, BenchSettings, GatewayRun } from './report';
import { gatewayOverrides } from './settings';

export const TENANT = 'bench';
const LOAD_BATCH = 1000;

/** The tenant as the admin API answers its creation. */
interface CreatedTenant {
  readonly id: string;
  readonly uid: string;
  readonly backend: Isolation.BackendName;
  readonly strategy: Isolation.StrategyName;
  readonly location: Isolation.Placement['location'];
  readonly dimension: number;
  readonly metric: Isolation.MetricName;
}

interface Match {
  readonly id: string;
  readonly score: number;
}

export interface GatewayBench {
  readonly mode: AuditMode;
  readonly dataDir: string;
  readonly tenant: CreatedTenant;
  readonly matches: readonly Match[];
  /** The same searches authenticated by JWT (`runs`) and by a tenant API key (`keyRuns`). */
  readonly runs: Map<number, GatewayRun>;
  readonly keyRuns: Map<number, GatewayRun>;
  readonly responseBody: string;
}

export function searchRequests(
  queries: readonly number[][],
  token: string,
  settings: BenchSettings,
): SearchRequest[] {
  return queries.map((vector) => ({
    method: 'POST',
    path: '/v1/search',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ vector, topK: settings.topK, includeMetadata: true }),
  }));
}

/** Minted the way `npm run token` does, with the given signing secret. */
export function mint(args: Omit<TokenArgs, 'platform'> & { platform?: boolean }, secret: string) {
  return buildToken({ platform: false, ...args }, { JWT_SECRET: secret }).token;
}

/** A gateway started the way the bench runs it, on a fresh data directory. */
export interface BenchServer extends RunningServer {
  readonly dataDir: string;
  readonly secret: string;
}

/**
 * Starts the built gateway at `main` (the tree's own build unless another is given, e.g. a
 * copy of an older build for an A/B comparison) in production mode on `<work>/data-<name>`.
 */
export async function startGateway(
  mode: AuditMode,
  work: string,
  name: string,
  nodeArgs: readonly string[] = [],
  main = MAIN,
): Promise<BenchServer> {
  const dataDir = join(work, `data-${name}`);
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    METRICS_PORT: 'off',
    // Room for the 32-connection rows: one tenant's default caps (16) would answer 429.
    TENANT_MAX_INFLIGHT: '64',
    EMBEDDED_TENANT_QUEUE: '64',
    ...gatewayOverrides(),
    AUDIT_MODE: mode,
  };
  const logFile = join(work, `gateway-${name}.log`);
  log(`gateway ${name} (AUDIT_MODE=${mode}) starting on port ${port}, data ${dataDir}`);
  const server = await startServer(`gateway (${name})`, [...nodeArgs, main], env, port, logFile);
  return { ...server, dataDir, secret };
}

/** Creates the bench tenant on a started gateway and loads the data set into it. */
export async function loadTenant(
  server: BenchServer,
  data: readonly number[][],
  settings: BenchSettings,
): Promise<CreatedTenant> {
  const admin = mint(
    { platform: true, roles: 'platform_admin', subject: 'bench-admin' },
    server.secret,
  );
  const tenant = (await request(server.base, 'POST', '/v1/admin/tenants', admin, {
    id: TENANT,
    backend: 'embedded',
    strategy: settings.strategy,
    dimension: settings.dimension,
    metric: settings.metric,
  })) as CreatedTenant;
  const writer = mint({ tenant: TENANT, roles: 'writer', subject: 'bench-loader' }, server.secret);
  const loadStart = Date.now();
  for (let i = 0; i < data.length; i += LOAD_BATCH) {
    const vectors = data.slice(i, i + LOAD_BATCH).map((values, j) => ({
      id: `v${i + j}`,
      values,
      metadata: { category: `c${(i + j) % 10}`, n: i + j },
    }));
    await request(server.base, 'PUT', '/v1/vectors', writer, { vectors });
  }
  log(`loaded ${data.length} vectors in ${Date.now() - loadStart} ms`);
  return tenant;
}

export async function benchGateway(
  mode: AuditMode,
  work: string,
  data: readonly number[][],
  queries: readonly number[][],
  settings: BenchSettings,
  nodeArgs: readonly string[] = [],
): Promise<GatewayBench> {
  const server = await startGateway(mode, work, mode, nodeArgs);
  const { dataDir, secret } = server;
  const runs = new Map<number, GatewayRun>();
  const keyRuns = new Map<number, GatewayRun>();
  const windows = new Map<Map<number, GatewayRun>, Map<number, { from: number; to: number }>>([
    [runs, new Map()],
    [keyRuns, new Map()],
  ]);
  let tenant: CreatedTenant;
  let sample: { matches?: unknown };
  try {
    const admin = mint({ platform: true, roles: 'platform_admin', subject: 'bench-admin' }, secret);
    tenant = await loadTenant(server, data, settings);
    const reader = mint({ tenant: TENANT, roles: 'reader', subject: 'bench-reader' }, secret);
    sample = (await request(server.base, 'POST', '/v1/search', reader, {
      vector: queries[0],
      topK: settings.topK,
      includeMetadata: true,
    })) as { matches?: unknown };
    if (!Array.isArray(sample.matches) || sample.matches.length !== settings.topK) {
      throw new Error(`unexpected search answer: ${JSON.stringify(sample)}`);
    }
    const { key } = (await request(
      server.base,
      'POST',
      `/v1/admin/tenants/${TENANT}/api-keys`,
      admin,
      {
        name: 'bench-reader',
        roles: ['reader'],
      },
    )) as { key: string };
    for (const [credential, label, into] of [
      [reader, 'JWT', runs],
      [key, 'API key', keyRuns],
    ] as const) {
      const requests = searchRequests(queries, credential, settings);
      for (const connections of settings.connections) {
        if (settings.warmup > 0) await load(server.base, requests, connections, settings.warmup);
        log(`gateway (${mode}, ${label}) ${connections} connection(s), ${settings.duration} s`);
        const from = Date.now();
        const run = await load(server.base, requests, connections, settings.duration);
        windows.get(into)?.set(connections, { from, to: Date.now() });
        into.set(connections, { ...run, server: { p50: NaN, p99: NaN, count: 0 } });
      }
    }
  } finally {
    await server.stop();
  }
  for (const [into, timed] of windows) {
    for (const [connections, run] of into) {
      const window = timed.get(connections);
      if (window) into.set(connections, { ...run, server: serverSide(dataDir, window) });
    }
  }
  return {
    mode,
    dataDir,
    tenant,
    matches: sample.matches as Match[],
    runs,
    keyRuns,
    responseBody: JSON.stringify(sample),
  };
}

/**
 * Time spent inside the gateway per search, from the audit events of the run: `latencyMs`
 * runs from the request's arrival (before authentication) to the moment its answer is ready
 * (before the audit commit), so it excludes the client, the network stack and, in durable
 * mode, the wait for the commit.
 */
function serverSide(dataDir: string, window: { from: number; to: number }): GatewayRun['server'] {
  const db = new Database(join(dataDir, 'vecgate.db'), { readonly: true });
  try {
    const latencies = (
      db
        .prepare(
          "SELECT latency_ms FROM vg_audit_events WHERE action = 'vectors.search' AND status = 200 AND at >= ? AND at <= ?",
        )
        .pluck()
        .all(window.from, window.to) as number[]
    ).sort((a, b) => a - b);
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      count: latencies.length,
    };
  } finally {
    db.close();
  }
}

/** The backend search called in-process, opened on a gateway's data (see `openDirect`). */
export interface DirectTarget {
  /** Searches one at a time for `seconds` after half a second of warm-up. */
  run(seconds: number): Promise<Summary>;
  close(): Promise<void>;
}

/**
 * The direct call: EmbeddedBackend from the built dist, opened on the data directory the
 * gateway wrote (`directory`: the gateway's own once it stopped, since one process owns an
 * embedded directory, or a copy of it), called in-process, one call at a time, with the same
 * queries and options. Its first answer must be the gateway's.
 */
export async function openDirect(
  directory: string,
  gateway: Pick<GatewayBench, 'tenant' | 'matches'>,
  queries: readonly number[][],
  settings: BenchSettings,
): Promise<DirectTarget> {
  await import('reflect-metadata');
  // The built code is what is measured, not a fresh transpile of the sources.
  const { EmbeddedBackend, makeTenantScope } = (await import(
    builtLibrary('isolation')
  )) as typeof Isolation;
  const backend = new EmbeddedBackend({
    directory: join(directory, 'embedded'),
    cacheMb: 512,
    maxOpenFiles: 256,
  });
  const t = gateway.tenant;
  const scope = makeTenantScope({
    tenantId: t.id,
    tenantUid: t.uid,
    placement: { backend: t.backend, strategy: t.strategy, location: t.location },
    space: { dimension: t.dimension, metric: t.metric },
  });
  const prepared = queries.map((q) => ({
    vector: Float32Array.from(q),
    topK: settings.topK,
    includeMetadata: true,
    includeValues: false,
  }));
  const query = (i: number) => {
    const q = prepared[i % prepared.length];
    if (!q) throw new Error('the bench needs at least one query');
    return q;
  };
  try {
    // Same answer as the gateway gave for the first query: ids in order, scores to 1e-6.
    const first = await backend.search(scope, query(0));
    const expected = gateway.matches;
    const same =
      first.length === expected.length &&
      first.every(
        (r, i) =>
          r.id === expected[i]?.id && Math.abs(r.score - (expected[i]?.score ?? NaN)) < 1e-6,
      );
    if (!same) {
      throw new Error(
        `direct search and gateway disagree: ${JSON.stringify(first.map((r) => [r.id, r.score]))} ` +
          `vs ${JSON.stringify(expected.map((r) => [r.id, r.score]))}`,
      );
    }
  } catch (err) {
    await backend.close();
    throw err;
  }
  return {
    run: async (seconds) => {
      const warmUntil = process.hrtime.bigint() + 500_000_000n;
      for (let i = 0; process.hrtime.bigint() < warmUntil; i++) {
        await backend.search(scope, query(i));
      }
      const samples: number[] = [];
      const started = process.hrtime.bigint();
      const until = started + BigInt(Math.round(seconds * 1e9));
      for (let i = 0; ; i++) {
        if (settings.directPauseMs > 0) await sleep(settings.directPauseMs);
        const t0 = process.hrtime.bigint();
        if (t0 >= until) break;
        const found = await backend.search(scope, query(i));
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (found.length !== settings.topK) {
          throw new Error('direct search returned too few matches');
        }
      }
      return summarize(samples, Number(process.hrtime.bigint() - started) / 1e9);
    },
    close: () => backend.close(),
  };
}

/** The direct call on the data a stopped gateway wrote, for `directSeconds`. */
export async function benchDirect(
  gateway: GatewayBench,
  queries: readonly number[][],
  settings: BenchSettings,
): Promise<Summary> {
  const direct = await openDirect(gateway.dataDir, gateway, queries, settings);
  try {
    return await direct.run(settings.directSeconds);
  } finally {
    await direct.close();
  }
}

/**
 * The trivial Fastify server (`serverArgs` run scripts/bench.ts with --baseline-server), answering
 * `responseBody` to every search.
 */
export async function startBaseline(
  work: string,
  responseBody: string,
  serverArgs: readonly string[],
): Promise<RunningServer> {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    BENCH_BASELINE_PORT: String(port),
    BENCH_BASELINE_BODY: responseBody,
  };
  const logFile = join(work, 'baseline.log');
  log(
    `plain Fastify baseline on port ${port} (fixed ${Buffer.byteLength(responseBody)}-byte JSON)`,
  );
  return startServer('baseline', serverArgs, env, port, logFile);
}

/** A trivial Fastify server answering a fixed body: the cost of the HTTP transport alone. */
export async function benchBaseline(
  work: string,
  responseBody: string,
  queries: readonly number[][],
  token: string,
  settings: BenchSettings,
  serverArgs: readonly string[],
): Promise<Map<number, Summary>> {
  const server = await startBaseline(work, responseBody, serverArgs);
  const runs = new Map<number, Summary>();
  try {
    const requests = searchRequests(queries, token, settings);
    for (const connections of settings.connections) {
      if (settings.warmup > 0) await load(server.base, requests, connections, settings.warmup);
      log(`baseline ${connections} connection(s), ${settings.duration} s`);
      runs.set(connections, await load(server.base, requests, connections, settings.duration));
    }
  } finally {
    await server.stop();
  }
  return runs;
}
