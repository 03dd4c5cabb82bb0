import { Client } from 'pg';
import { expectAudited, newRequestId } from '../support/audit-trail';
import { createTenantOn, vectorFor } from '../support/fixtures';
import { createTempDatabase, TempDatabase } from '../support/postgres';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';
import { describeOnPostgres } from '../support/replicas';
import { eventually } from '../support/eventually';

/**
 * Two replicas on one PostgreSQL registry, each with its own data directory and the default
 * (all-embedded) placement policy: an embedded tenant belongs to the replica that made it.
 */
describeOnPostgres('embedded tenants with several replicas (PostgreSQL)', () => {
  let database: TempDatabase;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    database = await createTempDatabase();
    // Default timeouts: the deletion must still answer at once.
    const env = { DATABASE_URL: database.url };
    a = await startGateway({ env });
    b = await startGateway({ env });
  });

  afterAll(async () => {
    await a?.close(true);
    await b?.close(true);
    await database?.drop();
  });

  const write = (gw: TestGateway, tenant: string, id: string) =>
    gw.http
      .put('/v1/vectors')
      .set(bearer(gw.tokens.tenant(tenant, ['writer'])))
      .send({ vectors: [{ id, values: vectorFor(1, 3) }] });
  const fetch = (gw: TestGateway, tenant: string, id: string) =>
    gw.http.get(`/v1/vectors/${id}`).set(bearer(gw.tokens.tenant(tenant, ['reader'])));

  it.each([
    ['enterprise', 'database'],
    ['premium', 'collection'],
    ['standard', 'partition_key'],
  ])(
    'refuses on the other replica, with 421 naming the reason, a %s (%s) tenant made on one',
    async (tier) => {
      const id = `owned-${tier}`;
      const made = await createTenantOn(a, id, { tier });
      // The registry says which replica holds it, for an operator routing its requests.
      expect(made.replica).toBe(a.config.tenancy.replicaId);
      expect((await write(a, id, 'g-1')).status).toBe(200);

      for (const answer of [
        await write(b, id, 'g-2'),
        await fetch(b, id, 'g-1'),
        await b.http
          .post('/v1/search')
          .set(bearer(b.tokens.tenant(id, ['reader'])))
          .send({ vector: vectorFor(1, 3), topK: 5 }),
      ]) {
        expect(answer.status).toBe(421);
        expect(answer.headers['content-type']).toMatch(/problem\+json/);
        expect(answer.body).toMatchObject({ reason: 'tenant_on_other_replica' });
        expect((answer.body as { detail: string }).detail).toContain(a.config.tenancy.replicaId);
      }
      // Nothing was written on B's disk, and A still answers from its own table alone.
      expect((await fetch(a, id, 'g-1')).status).toBe(200);
      expect((await fetch(a, id, 'g-2')).status).toBe(404);
    },
  );

  it('serves on a replica the tenants it made, and refuses them on the first (negative twin)', async () => {
    await createTenantOn(b, 'made-on-b');
    expect((await write(b, 'made-on-b', 'x')).status).toBe(200);
    expect((await fetch(b, 'made-on-b', 'x')).status).toBe(200);
    expect((await fetch(a, 'made-on-b', 'x')).status).toBe(421);
  });

  it('lets a tenant_admin manage its tokens and API keys from any replica: they live in the shared registry', async () => {
    await createTenantOn(a, 'keys-anywhere');
    const admin = (gw: TestGateway) =>
      bearer(gw.tokens.tenant('keys-anywhere', ['tenant_admin', 'reader']));
    const created = await a.http
      .post('/v1/admin/tenants/keys-anywhere/api-keys')
      .set(admin(a))
      .send({ name: 'leaked', roles: ['reader'] });
    expect(created.status).toBe(201);
    const { id, key } = created.body as { id: string; key: string };
    const search = () =>
      a.http
        .post('/v1/search')
        .set({ 'api-key': key })
        .send({ vector: vectorFor(1, 3), topK: 1 });
    expect((await search()).status).toBe(200);
    // Listed and revoked through the replica that does not hold the tenant's data.
    const listed = await b.http.get('/v1/admin/tenants/keys-anywhere/api-keys').set(admin(b));
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain(id);
    const revoked = await b.http
      .delete(`/v1/admin/tenants/keys-anywhere/api-keys/${id}`)
      .set(admin(b));
    expect(revoked.status).toBe(204);
    await eventually(10_000, async () => (await search()).status === 401);
    // Its data stays on its own replica.
    expect((await write(b, 'keys-anywhere', 'nope')).status).toBe(421);
  });

  it('refuses a deletion sent to the replica that does not hold the tenant, leaving it whole', async () => {
    await createTenantOn(a, 'delete-elsewhere');
    expect((await write(a, 'delete-elsewhere', 'kept')).status).toBe(200);
    const refused = await b.http
      .delete('/v1/admin/tenants/delete-elsewhere')
      .set(bearer(b.tokens.platform()));
    expect(refused.status).toBe(421);
    expect(refused.body).toMatchObject({ reason: 'tenant_on_other_replica' });
    expect((await fetch(a, 'delete-elsewhere', 'kept')).status).toBe(200);
  });

  it('answers a deletion with default timeouts at once (202, one audit event), then erases it', async () => {
    await createTenantOn(a, 'deleted-fast', { tier: 'enterprise' });
    expect((await write(a, 'deleted-fast', 'doomed')).status).toBe(200);
    const requestId = newRequestId();
    const started = Date.now();
    const accepted = await a.http
      .delete('/v1/admin/tenants/deleted-fast')
      .set({ ...bearer(a.tokens.platform()), 'x-request-id': requestId });
    const answeredIn = Date.now() - started;
    expect(accepted.status).toBe(202);
    expect(accepted.headers.location).toBe('/v1/admin/tenants/deleted-fast');
    expect(accepted.body).toMatchObject({ id: 'deleted-fast', status: 'deleting' });
    expect(answeredIn).toBeLessThan(5000);
    const gone = await eventually(20_000, async () => {
      const res = await a.http
        .get('/v1/admin/tenants/deleted-fast')
        .set(bearer(a.tokens.platform()));
      return res.status === 404;
    });
    await expectAudited(a, requestId, 202);
    // The id is free again and its successor starts empty.
    await createTenantOn(a, 'deleted-fast', { tier: 'enterprise' });
    // Tokens issued at or before the deletion are refused (the test tokens' iat is a second back).
    await new Promise((r) => setTimeout(r, 2100));
    expect((await fetch(a, 'deleted-fast', 'doomed')).status).toBe(404);
    console.log(
      `deletion answered 202 in ${answeredIn} ms; erased and tombstoned ${gone} ms later`,
    );
  });

  it('finishes at start-up a deletion its replica crashed in the middle of', async () => {
    await createTenantOn(a, 'crashed-delete');
    expect((await write(a, 'crashed-delete', 'left')).status).toBe(200);
    const dataDir = a.dataDir;
    await a.close();
    // What a crash between marking and erasing leaves behind.
    const direct = new Client({ connectionString: database.url });
    await direct.connect();
    await direct.query(`update vg_tenants set status = 'deleting' where id = 'crashed-delete'`);
    await direct.end();
    a = await startGateway({ env: { DATABASE_URL: database.url }, dataDir });
    const res = await a.http
      .get('/v1/admin/tenants/crashed-delete')
      .set(bearer(a.tokens.platform()));
    expect(res.status).toBe(404);
  });
});
