import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

interface Event {
  action: string;
  status: number;
  requestId: string;
  targetTenant?: string;
  targetTenantUid?: string;
}

/** Everything done to a tenant through the admin plane shows in that tenant's own trail. */
describe("a tenant's audit trail holds every admin action on it", () => {
  let gw: TestGateway;
  let acme: { uid: string };

  beforeAll(async () => {
    gw = await startGateway();
    acme = (await createTenant(gw.http, gw.tokens, {
      id: 'acme',
      dimension: 3,
      metric: 'cosine',
    })) as { uid: string };
    await createTenant(gw.http, gw.tokens, { id: 'globex', dimension: 3, metric: 'cosine' });
  });
  afterAll(() => gw.close(true));

  const trailOf = async (tenant: string): Promise<Event[]> => {
    await gw.flushAudit();
    const res = await gw.http
      .get('/v1/audit')
      .query({ limit: 1000 })
      .set(bearer(gw.tokens.tenant(tenant, ['tenant_admin'])));
    expect(res.status).toBe(200);
    return (res.body as { items: Event[] }).items;
  };

  it('shows tokens a platform admin minted and revoked for it, and its record being read, with its uid', async () => {
    const admin = bearer(gw.tokens.platform());
    const minted = await gw.http
      .post('/v1/admin/tenants/acme/tokens')
      .set({ ...admin, 'x-request-id': 'mint-for-acme' })
      .send({ subject: 'svc', roles: ['reader'], ttlSeconds: 600 });
    expect(minted.status).toBe(201);
    const revoked = await gw.http
      .delete(`/v1/admin/tenants/acme/tokens/${(minted.body as { jti: string }).jti}`)
      .set({ ...admin, 'x-request-id': 'revoke-for-acme' });
    expect(revoked.status).toBe(204);
    const read = await gw.http
      .get('/v1/admin/tenants/acme')
      .set({ ...admin, 'x-request-id': 'get-acme' });
    expect(read.status).toBe(200);

    const trail = await trailOf('acme');
    for (const [requestId, action] of [
      ['mint-for-acme', 'admin.token.mint'],
      ['revoke-for-acme', 'admin.token.revoke'],
      ['get-acme', 'admin.tenant.get'],
    ]) {
      expect(trail).toContainEqual(
        expect.objectContaining({ clientRequestId: requestId, action, targetTenantUid: acme.uid }),
      );
    }
  });

  it("keeps them out of another tenant's trail (negative twin)", async () => {
    const trail = await trailOf('globex');
    expect(trail.map((e) => e.requestId)).not.toEqual(expect.arrayContaining(['mint-for-acme']));
    expect(trail.filter((e) => e.targetTenant === 'acme')).toEqual([]);
  });

  it("keeps a refused attempt by another tenant's admin out of the target's trail", async () => {
    const refused = await gw.http
      .post('/v1/admin/tenants/acme/tokens')
      .set({
        ...bearer(gw.tokens.tenant('globex', ['tenant_admin'])),
        'x-request-id': 'globex-tries-acme',
      })
      .send({ subject: 'x', roles: ['reader'], ttlSeconds: 60 });
    expect(refused.status).toBe(403);
    expect((await trailOf('acme')).map((e) => e.requestId)).not.toContain('globex-tries-acme');
  });
});
