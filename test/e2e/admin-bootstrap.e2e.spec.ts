import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AuditService } from '@vecgate/audit';
import { PlatformTokenService } from '@vecgate/tenancy';
import { CliModule } from '../../apps/gateway/src/cli/cli.module';
import { parseTokenCommand, runTokenCommand } from '../../apps/gateway/src/cli/token.command';
import { loadGatewayConfig } from '../../apps/gateway/src/config/gateway.config';
import { createTempDatabase, TempDatabase } from '../support/postgres';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer, TEST_SECRET } from '../support/tokens';
import { sqlTargets } from '../stores/sql-targets';
import { eventually } from '../support/eventually';

const postgresSkip = sqlTargets().find((t) => t.name === 'postgres')?.skipReason;

/**
 * The first platform admin of a deployment comes from `vecgate token mint`, run against the
 * gateway's own environment (a second process in the container). Its tokens are recorded,
 * revocable and audited like the API's.
 */
describe.each([
  ['SQLite', false],
  ['PostgreSQL', true],
])('the admin bootstrap command on %s', (_name, onPostgres) => {
  const maybe = onPostgres && postgresSkip ? it.skip : it;
  let database: TempDatabase | undefined;
  let gw: TestGateway;
  let cli: INestApplicationContext;

  const run = (...argv: string[]) =>
    runTokenCommand(parseTokenCommand(argv), cli.get(PlatformTokenService), cli.get(AuditService));

  beforeAll(async () => {
    if (onPostgres && postgresSkip) return;
    database = onPostgres ? await createTempDatabase() : undefined;
    const env = {
      TENANT_CACHE_TTL_MS: '300',
      ...(database ? { DATABASE_URL: database.url } : {}),
    };
    gw = await startGateway({ env });
    // What the command reads: the gateway's environment.
    const config = loadGatewayConfig({
      NODE_ENV: 'production',
      JWT_SECRET: TEST_SECRET,
      DATA_DIR: gw.dataDir,
      LOG_LEVEL: 'silent',
      ...env,
      DATABASE_URL: gw.config.databaseUrl ?? '',
    });
    cli = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: false });
  });

  afterAll(async () => {
    await cli?.close();
    await gw?.close(true);
    await database?.drop();
  });

  maybe(
    'mints a platform token the gateway accepts, recorded and audited with its minter',
    async () => {
      const minted = JSON.parse(
        await run('mint', '--subject', 'first-admin', '--roles', 'platform_admin', '--ttl', '600'),
      ) as { token: string; jti: string; expiresAt: string };
      const admin = bearer(minted.token);
      expect((await gw.http.get('/v1/admin/tenants').set(admin)).status).toBe(200);
      expect(
        (
          await gw.http
            .post('/v1/admin/tenants')
            .set(admin)
            .send({ id: 'first', dimension: 3, metric: 'cosine' })
        ).status,
      ).toBe(201);

      await gw.flushAudit();
      const trail = await gw.http
        .get('/v1/admin/audit')
        .query({ action: 'admin.token.mint', limit: 100 })
        .set(bearer(gw.tokens.platform(['auditor'])));
      expect(trail.body).toMatchObject({
        items: expect.arrayContaining([
          expect.objectContaining({
            action: 'admin.token.mint',
            outcome: 'allowed',
            status: 201,
            subject: expect.stringMatching(/^cli:/),
          }),
        ]),
      });

      // Revoked from the command line: every replica refuses it within the revocation staleness.
      expect(await run('revoke', minted.jti)).toBe(`revoked ${minted.jti}`);
      const refusedAfter = await eventually(5000, async () => {
        return (await gw.http.get('/v1/admin/tenants').set(admin)).status === 401;
      });
      console.log(
        `a platform token revoked from the command line was refused ${refusedAfter} ms later`,
      );
    },
  );

  maybe('refuses tenant roles and unknown tokens, and audits the refusal', async () => {
    await expect(run('mint', '--subject', 'x', '--roles', 'reader')).rejects.toThrow(
      /only platform roles/,
    );
    await expect(run('revoke', 'no-such-jti')).rejects.toThrow(/no platform token no-such-jti/);
    await gw.flushAudit();
    const denied = await gw.http
      .get('/v1/admin/audit')
      .query({ outcome: 'denied', limit: 100 })
      .set(bearer(gw.tokens.platform(['auditor'])));
    const actions = (denied.body as { items: { action: string; subject?: string }[] }).items
      .filter((e) => e.subject?.startsWith('cli:'))
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['admin.token.mint', 'admin.token.revoke']));
  });
});
