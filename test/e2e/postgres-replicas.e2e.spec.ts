import { randomBytes } from 'node:crypto';
import { createTenantOn } from '../support/fixtures';
import type { TestGateway } from '../support/test-gateway';
import { bearer, ttlFrom } from '../support/tokens';
import { eventually } from '../support/eventually';
import { describeOnPostgres, withReplicaPair } from '../support/replicas';

/**
 * Two gateway replicas on one PostgreSQL registry. The tenant cache lives for a minute, so
 * only LISTEN/NOTIFY can explain a change reaching the other replica in well under a second.
 */
describeOnPostgres('replicas on PostgreSQL', () => {
  let a: TestGateway;
  let b: TestGateway;

  withReplicaPair((pair) => {
    ({ a, b } = pair);
  });

  it('sees a tenant created, suspended and resumed on the other replica within a second', async () => {
    // Made on B, which holds its embedded records and serves it; changed on A.
    await createTenantOn(b, 'shared-registry', { tier: 'standard' });
    const reader = bearer(b.tokens.tenant('shared-registry', ['tenant_admin']));
    const onB = () =>
      b.http.get('/v1/admin/tenants/shared-registry').set(bearer(b.tokens.platform()));
    expect((await onB()).status).toBe(200);
    // B caches the tenant now; the suspension happens on A.
    expect((await b.http.get('/v1/audit').set(reader)).status).toBe(200);
    /** Sets the status on A; resolves once B answers the tenant's reads with `seen`. */
    const changeOnA = async (status: string, seen: number): Promise<number> => {
      const changed = await a.http
        .patch('/v1/admin/tenants/shared-registry')
        .set(bearer(a.tokens.platform()))
        .send({ status });
      expect(changed.status).toBe(200);
      return eventually(
        1000,
        async () => (await b.http.get('/v1/audit').set(reader)).status === seen,
      );
    };
    const suspendedAfter = await changeOnA('suspended', 403);
    const resumedAfter = await changeOnA('active', 200);
    console.log(
      `suspension reached the other replica in ${suspendedAfter} ms, resumption in ${resumedAfter} ms`,
    );
  });

  it('refuses on the other replica a token revoked on one replica', async () => {
    // Made on B, which holds its embedded records and serves it; revoked on A.
    await createTenantOn(b, 'revoked-elsewhere');
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

  it('refuses on the other replica every token minted from a token revoked on one replica', async () => {
    await createTenantOn(a, 'lineage-elsewhere');
    const mintOn = async (gw: TestGateway, by: string, subject: string) => {
      const res = await gw.http
        .post('/v1/admin/tenants/lineage-elsewhere/tokens')
        .set(bearer(by))
        .send({ subject, roles: ['tenant_admin'], ttlSeconds: ttlFrom(by) });
      expect(res.status).toBe(201);
      return res.body as { token: string; jti: string };
    };
    // The tenant is embedded, so it belongs to replica A: its tokens are minted there, and B
    // answers them 421 while they live (authentication passed) and 401 once revoked.
    const t1 = await mintOn(a, a.tokens.platform(), 'root');
    const t2 = await mintOn(a, t1.token, 'child');
    const t3 = await mintOn(a, t2.token, 'grandchild');
    const audits = (token: string) => b.http.get('/v1/audit').set(bearer(token));
    for (const t of [t1, t2, t3]) expect((await audits(t.token)).status).toBe(421);
    expect(
      (
        await a.http
          .delete(`/v1/admin/tenants/lineage-elsewhere/tokens/${t1.jti}`)
          .set(bearer(a.tokens.platform()))
      ).status,
    ).toBe(204);
    // Well under the 60 s cache: only the notification explains it; loose for a loaded machine.
    const after = await eventually(5000, async () => {
      const statuses = await Promise.all(
        [t1, t2, t3].map(async (t) => (await audits(t.token)).status),
      );
      return statuses.every((s) => s === 401);
    });
    console.log(`a cascading revocation reached the other replica in ${after} ms`);
    // A mint on B from a descendant is refused too, even before B had heard of the revocation.
    const late = await b.http
      .post('/v1/admin/tenants/lineage-elsewhere/tokens')
      .set(bearer(t3.token))
      .send({ subject: 'late', roles: ['reader'], ttlSeconds: 60 });
    expect(late.status).toBe(401);
  });

  it('commits audit events of both replicas into one trail', async () => {
    const requestId = `pg-${randomBytes(4).toString('hex')}`;
    await b.http
      .get('/v1/admin/tenants')
      .set({ ...bearer(b.tokens.platform()), 'x-request-id': requestId });
    const seen = await a.http
      .get('/v1/admin/audit')
      .query({ clientRequestId: requestId })
      .set(bearer(a.tokens.platform(['auditor'])));
    expect((seen.body as { items: { status: number }[] }).items).toEqual([
      expect.objectContaining({ status: 200 }),
    ]);
  });
});
