import { randomBytes } from 'node:crypto';
import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';
import { sqlTargets } from '../stores/sql-targets';
import { eventually } from '../support/eventually';
import { createTempDatabase, TempDatabase } from '../support/postgres';

const postgres = sqlTargets().find((t) => t.name === 'postgres');
const describeOnPostgres = postgres?.skipReason ? describe.skip : describe;

/**
 * Two gateway replicas on one PostgreSQL registry. The tenant cache lives for a minute, so
 * only LISTEN/NOTIFY can explain a change reaching the other replica in well under a second.
 */
describeOnPostgres('replicas on PostgreSQL', () => {
  let database: TempDatabase;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    database = await createTempDatabase();
    const env = { DATABASE_URL: database.url, TENANT_CACHE_TTL_MS: '60000' };
    a = await startGateway({ env });
    b = await startGateway({ env });
  });

  afterAll(async () => {
    await a?.close(true);
    await b?.close(true);
    await database?.drop();
  });

  it('sees a tenant created, suspended and resumed on the other replica within a second', async () => {
    // Made on B, which holds its embedded records and serves it; changed on A.
    await createTenant(b.http, b.tokens, {
      id: 'shared-registry',
      tier: 'standard',
      dimension: 3,
      metric: 'cosine',
    });
    const reader = bearer(b.tokens.tenant('shared-registry', ['tenant_admin']));
    const onB = () =>
      b.http.get('/v1/admin/tenants/shared-registry').set(bearer(b.tokens.platform()));
    expect((await onB()).status).toBe(200);
    // B caches the tenant now; the suspension happens on A.
    expect((await b.http.get('/v1/audit').set(reader)).status).toBe(200);
    expect(
      (
        await a.http
          .patch('/v1/admin/tenants/shared-registry')
          .set(bearer(a.tokens.platform()))
          .send({ status: 'suspended' })
      ).status,
    ).toBe(200);
    const suspendedAfter = await eventually(
      1000,
      async () => (await b.http.get('/v1/audit').set(reader)).status === 403,
    );
    expect(
      (
        await a.http
          .patch('/v1/admin/tenants/shared-registry')
          .set(bearer(a.tokens.platform()))
          .send({ status: 'active' })
      ).status,
    ).toBe(200);
    const resumedAfter = await eventually(
      1000,
      async () => (await b.http.get('/v1/audit').set(reader)).status === 200,
    );
    console.log(
      `suspension reached the other replica in ${suspendedAfter} ms, resumption in ${resumedAfter} ms`,
    );
  });

  it('refuses on the other replica a token revoked on one replica', async () => {
    // Made on B, which holds its embedded records and serves it; revoked on A.
    await createTenant(b.http, b.tokens, {
      id: 'revoked-elsewhere',
      dimension: 3,
      metric: 'cosine',
    });
    const minted = await a.http
      .post('/v1/admin/tenants/revoked-elsewhere/tokens')
      .set(bearer(a.tokens.platform()))
      .send({ subject: 'svc', roles: ['tenant_admin'], ttlSeconds: 600 });
    const { token, jti } = minted.body as { token: string; jti: string };
    expect((await b.http.get('/v1/audit').set(bearer(token))).status).toBe(200);
    expect(
      (
        await a.http
          .delete(`/v1/admin/tenants/revoked-elsewhere/tokens/${jti}`)
          .set(bearer(a.tokens.platform()))
      ).status,
    ).toBe(204);
    await eventually(
      1000,
      async () => (await b.http.get('/v1/audit').set(bearer(token))).status === 401,
    );
  });

  it('commits audit events of both replicas into one trail', async () => {
    const requestId = `pg-${randomBytes(4).toString('hex')}`;
    await b.http
      .get('/v1/admin/tenants')
      .set({ ...bearer(b.tokens.platform()), 'x-request-id': requestId });
    const seen = await a.http
      .get('/v1/admin/audit')
      .query({ requestId })
      .set(bearer(a.tokens.platform(['auditor'])));
    expect((seen.body as { items: { status: number }[] }).items).toEqual([
      expect.objectContaining({ status: 200 }),
    ]);
  });
});
