import type { Response } from 'supertest';
import type { AuditRecord } from '../support/audit-trail';
import { startWithTwoTenants } from '../support/fixtures';
import type { TestGateway } from '../support/test-gateway';
import { bearer, ttlFrom } from '../support/tokens';

/**
 * Who did what, without the client's word for it: the gateway's own request id keys the trail,
 * a client's x-request-id is kept apart, and a minted subject shows who minted it.
 */
describe('audit attribution', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startWithTwoTenants();
  });
  afterAll(() => gw.close(true));

  const search = (token: string, clientId?: string): Promise<Response> =>
    gw.http
      .post('/v1/search')
      .set({ ...bearer(token), ...(clientId ? { 'x-request-id': clientId } : {}) })
      .send({ vector: [1, 0, 0], topK: 1 });
  const adminAudit = async (query: Record<string, string>): Promise<AuditRecord[]> => {
    await gw.flushAudit();
    const res = await gw.http
      .get('/v1/admin/audit')
      .query(query)
      .set(bearer(gw.tokens.platform(['auditor'])));
    expect(res.status).toBe(200);
    return (res.body as { items: AuditRecord[] }).items;
  };
  const ownAudit = async (token: string, query: Record<string, string>) => {
    await gw.flushAudit();
    const res = await gw.http.get('/v1/audit').query(query).set(bearer(token));
    expect(res.status).toBe(200);
    return (res.body as { items: AuditRecord[] }).items;
  };

  it("keys the trail by the gateway's id; a client's id, even one copied from another request, is kept apart", async () => {
    const insider = await search(gw.tokens.platform(['platform_admin']));
    expect(insider.status).toBe(403);
    const insiderId = insider.headers['x-request-id'] as string;
    expect(insiderId).toMatch(/^[0-9a-f-]{36}$/);

    // A tenant sends the insider's request id as its own, and another sends it too.
    const acme = await search(gw.tokens.tenant('acme', ['reader']), insiderId);
    const globex = await search(gw.tokens.tenant('globex', ['reader']), insiderId);
    expect(acme.status).toBe(200);
    expect(globex.status).toBe(200);
    const acmeId = acme.headers['x-request-id'] as string;
    const globexId = globex.headers['x-request-id'] as string;
    expect(new Set([insiderId, acmeId, globexId]).size).toBe(3);

    // The requestId filter matches only the gateway's id: the insider's request alone.
    const byGatewayId = await adminAudit({ requestId: insiderId });
    expect(byGatewayId).toHaveLength(1);
    expect(byGatewayId[0]).toMatchObject({ requestId: insiderId, status: 403 });
    expect(byGatewayId[0]).not.toHaveProperty('clientRequestId');

    // The client's id finds every request that sent it, each under its own gateway id.
    const byClientId = await adminAudit({ clientRequestId: insiderId });
    expect(byClientId.map((e) => [e.requestId, e.tenantId, e.clientRequestId]).sort()).toEqual(
      [
        [acmeId, 'acme', insiderId],
        [globexId, 'globex', insiderId],
      ].sort(),
    );
  });

  it("shows a tenant its own requests for a client id, never another tenant's with the same id", async () => {
    const shared = 'trace-shared-0001';
    expect((await search(gw.tokens.tenant('acme', ['reader']), shared)).status).toBe(200);
    expect((await search(gw.tokens.tenant('globex', ['reader']), shared)).status).toBe(200);
    const acmeView = await ownAudit(gw.tokens.tenant('acme', ['tenant_admin']), {
      clientRequestId: shared,
    });
    expect(acmeView.map((e) => e.tenantId)).toEqual(['acme']);
    const globexView = await ownAudit(gw.tokens.tenant('globex', ['tenant_admin']), {
      clientRequestId: shared,
    });
    expect(globexView.map((e) => e.tenantId)).toEqual(['globex']);
  });

  it.each([
    ['too long', 'x'.repeat(65)],
    ['outside the charset', 'id with spaces'],
    ['markup', '<script>alert(1)</script>'],
  ])('serves a request whose x-request-id is %s, and does not record that id', async (_w, id) => {
    const res = await search(gw.tokens.tenant('acme', ['reader']), id);
    expect(res.status).toBe(200);
    const events = await adminAudit({ requestId: res.headers['x-request-id'] as string });
    expect(events).toHaveLength(1);
    expect(events[0]).not.toHaveProperty('clientRequestId');
  });

  it('refuses a requestId or clientRequestId filter outside the id charset (400)', async () => {
    for (const query of [{ requestId: 'a b' }, { clientRequestId: 'x'.repeat(65) }]) {
      const res = await gw.http
        .get('/v1/admin/audit')
        .query(query)
        .set(bearer(gw.tokens.platform(['auditor'])));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ field: Object.keys(query)[0] });
    }
  });

  it('shows who minted the subject of a minted token, in the platform and the tenant views', async () => {
    const minter = await gw.http
      .post('/v1/admin/tenants/acme/tokens')
      .set(bearer(gw.tokens.platform()))
      .send({ subject: 'acme-ops', roles: ['tenant_admin', 'reader'], ttlSeconds: 600 });
    const child = await gw.http
      .post('/v1/admin/tenants/acme/tokens')
      .set(bearer((minter.body as { token: string }).token))
      .send({
        subject: 'platform-operator',
        roles: ['reader'],
        ttlSeconds: ttlFrom((minter.body as { token: string }).token),
      });
    expect(child.status).toBe(201);
    // The subject imitates the platform's, but the trail says a tenant admin minted it.
    const res = await search((child.body as { token: string }).token);
    const requestId = res.headers['x-request-id'] as string;
    const [platformView] = await adminAudit({ requestId });
    expect(platformView).toMatchObject({
      subject: 'platform-operator',
      mintedBy: 'acme-ops',
      tenantId: 'acme',
    });
    const tenantView = (await ownAudit(gw.tokens.tenant('acme', ['tenant_admin']), {})).find(
      (e) => e.requestId === requestId,
    );
    expect(tenantView).toMatchObject({ subject: 'platform-operator', mintedBy: 'acme-ops' });
    // A token the registry did not mint carries no mintedBy.
    const plain = await search(gw.tokens.tenant('acme', ['reader']));
    const [plainEvent] = await adminAudit({ requestId: plain.headers['x-request-id'] as string });
    expect(plainEvent).not.toHaveProperty('mintedBy');
  });

  it("files a tenant's refused requests in its own trail, never in the trail of the tenant it aimed at", async () => {
    const record = await gw.http.get('/v1/admin/tenants/acme').set(bearer(gw.tokens.platform()));
    const acmeUid = (record.body as { uid: string }).uid;
    expect(acmeUid).toMatch(/^[0-9a-f]{32}$/);
    const acmeReader = bearer(gw.tokens.tenant('acme', ['reader']));
    const adminToken = gw.tokens.tenant('acme', ['tenant_admin']);
    const acmeAdmin = bearer(adminToken);
    const refusals = [
      // A role the token lacks, refused before the tenant guard ran.
      [await gw.http.put('/v1/vectors').set(acmeReader).send({ vectors: [] }), 403, 'role_missing'],
      // Another tenant's admin route: an alert, in the caller's trail only.
      [
        await gw.http.get('/v1/admin/tenants/globex/tokens').set(acmeAdmin),
        403,
        'cross_tenant_attempt',
      ],
      // A route that does not exist.
      [await gw.http.get('/v1/no-such-route').set(acmeReader), 404, undefined],
    ] as const;
    const ids = refusals.map(([res, status]) => {
      expect(res.status).toBe(status);
      return res.headers['x-request-id'] as string;
    });
    for (const [i, [, status, reason]] of refusals.entries()) {
      const [platformView] = await adminAudit({ requestId: ids[i] as string });
      expect(platformView).toMatchObject({ tenantId: 'acme', tenantUid: acmeUid, status });
      if (reason) expect(platformView?.reason).toMatch(new RegExp(`^${reason}`));
      const own = await ownAudit(adminToken, {});
      expect(own.filter((e) => e.requestId === ids[i]).map((e) => e.status)).toEqual([status]);
    }
    const cross = (await adminAudit({ requestId: ids[1] as string }))[0];
    expect(cross).toMatchObject({ severity: 'alert', targetTenant: 'globex' });
    expect(cross).not.toHaveProperty('targetTenantUid');
    const globexView = await ownAudit(gw.tokens.tenant('globex', ['tenant_admin']), {});
    expect(globexView.filter((e) => ids.includes(e.requestId))).toEqual([]);
  });

  it('files a refusal under no tenant when the token names none that lives', async () => {
    const res = await gw.http
      .put('/v1/vectors')
      .set(bearer(gw.tokens.tenant('ghost', ['reader'])))
      .send({ vectors: [] });
    expect(res.status).toBe(403);
    const [event] = await adminAudit({ requestId: res.headers['x-request-id'] as string });
    expect(event).toMatchObject({ tenantId: 'ghost', status: 403 });
    expect(event).not.toHaveProperty('tenantUid');
  });
});
