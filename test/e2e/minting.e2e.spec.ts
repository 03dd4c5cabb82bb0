import { decode } from 'jsonwebtoken';
import { expectAudited, newRequestId } from '../support/audit-trail';
import { refusedSearch, searchBearing } from '../support/requests';
import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/** A mint request body: `roles` for `ttlSeconds`, to a subject that does not matter unless named. */
const grant = (roles: string[] | string, ttlSeconds = 60, subject = 'x') => ({
  subject,
  roles,
  ttlSeconds,
});

describe('token minting cannot escalate', () => {
  let gw: TestGateway;
  let acmeAdmin: string;

  const mint = (
    token: string,
    tenant: string,
    body: Record<string, unknown>,
    requestId = newRequestId(),
  ) =>
    gw.http
      .post(`/v1/admin/tenants/${tenant}/tokens`)
      .set({ ...bearer(token), 'x-request-id': requestId })
      .send(body);

  const searchWith = (token: string) => searchBearing(gw, token);

  beforeAll(async () => {
    gw = await startGateway({ env: { MAX_TOKEN_TTL: '7200' } });
    for (const id of ['acme', 'globex'])
      await createTenant(gw.http, gw.tokens, { id, dimension: 3, metric: 'cosine' });
    const res = await mint(
      gw.tokens.platform(),
      'acme',
      grant(['tenant_admin', 'reader'], 3000, 'acme-ops'),
    );
    expect(res.status).toBe(201);
    acmeAdmin = (res.body as { token: string }).token;
  });
  afterAll(() => gw.close(true));

  it('mints a role the tenant_admin holds, for its own tenant, with the tenant from the path', async () => {
    const res = await mint(acmeAdmin, 'acme', grant(['reader'], 600, 'search-svc'));
    expect(res.status).toBe(201);
    const body = res.body as { token: string; jti: string; expiresAt: string };
    const claims = decode(body.token, { complete: true });
    expect(claims?.header).toMatchObject({ alg: 'HS256', kid: 'default' });
    expect(claims?.payload).toMatchObject({
      tenant_id: 'acme',
      roles: ['reader'],
      jti: body.jti,
      mintedBy: 'acme-ops',
      sub: 'search-svc',
    });
    const search = await searchWith(body.token);
    expect(search.status).toBe(200);
  });

  it.each([['platform_admin'], ['auditor'], ['cross_tenant_admin']])(
    'refuses a tenant_admin minting the platform role %s (403)',
    async (role) => {
      const requestId = newRequestId();
      const res = await mint(acmeAdmin, 'acme', grant([role]), requestId);
      expect(res.status).toBe(403);
      expect(res.body).not.toHaveProperty('token');
      await expectAudited(gw, requestId, 403);
    },
  );

  it('refuses a platform admin minting a platform role too (403)', async () => {
    const res = await mint(gw.tokens.platform(), 'acme', grant(['platform_admin']));
    expect(res.status).toBe(403);
  });

  it('refuses a tenant_admin minting a role it lacks (403)', async () => {
    const requestId = newRequestId();
    const res = await mint(acmeAdmin, 'acme', grant(['writer']), requestId);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ reason: 'mint_role' });
    await expectAudited(gw, requestId, 403);
  });

  it('refuses a TTL beyond MAX_TOKEN_TTL (400 naming ttlSeconds)', async () => {
    const res = await mint(
      gw.tokens.platform(['platform_admin'], { exp: Math.floor(Date.now() / 1000) + 86400 }),
      'acme',
      grant(['reader'], 7201),
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'ttlSeconds' });
  });

  it("refuses a TTL beyond the minter's own remaining lifetime (400)", async () => {
    const res = await mint(acmeAdmin, 'acme', grant(['reader'], 3600));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'ttlSeconds' });
  });

  it('refuses a tenant_admin minting for another tenant (403, alert) whether or not it exists', async () => {
    for (const target of ['globex', 'does-not-exist']) {
      const requestId = newRequestId();
      const res = await mint(acmeAdmin, target, grant(['reader']), requestId);
      expect(res.status).toBe(403);
      expect(res.body).not.toHaveProperty('token');
      const event = await expectAudited(gw, requestId, 403);
      expect(event).toMatchObject({ severity: 'alert', targetTenant: target, tenantId: 'acme' });
    }
  });

  it('answers 404 to a platform admin minting for an unknown tenant', async () => {
    const res = await mint(gw.tokens.platform(), 'nobody', grant(['reader']));
    expect(res.status).toBe(404);
  });

  it('refuses a revoked token (401) and only the owning tenant can revoke it', async () => {
    const minted = await mint(acmeAdmin, 'acme', grant(['reader'], 600, 'temp'));
    const { token, jti } = minted.body as { token: string; jti: string };
    expect((await searchWith(token)).status).toBe(200);

    const globexAdmin = gw.tokens.tenant('globex', ['tenant_admin']);
    expect(
      (await gw.http.delete(`/v1/admin/tenants/acme/tokens/${jti}`).set(bearer(globexAdmin)))
        .status,
    ).toBe(403);
    expect(
      (await gw.http.delete(`/v1/admin/tenants/globex/tokens/${jti}`).set(bearer(globexAdmin)))
        .status,
    ).toBe(404);
    expect((await searchWith(token)).status).toBe(200);

    expect(
      (await gw.http.delete(`/v1/admin/tenants/acme/tokens/${jti}`).set(bearer(acmeAdmin))).status,
    ).toBe(204);
    const refused = await refusedSearch(gw, bearer(token), { vector: [1, 0, 0], topK: 1 }, 401);
    expect(refused.res.body).toMatchObject({ reason: 'token_revoked' });
  });

  it.each([
    ['a NUL', 'svc\u0000admin'],
    ['an ANSI escape', 'svc\u001b[2K\u001b[1Gplatform-operator'],
    ['a bell', 'svc\u0007'],
    ['a right-to-left override', 'nimda-mroftalp\u202e'],
    ['a zero-width space', 'platform\u200b-operator'],
    ['a line separator', 'svc\u2028platform-operator'],
    ['a leading space', ' platform-operator'],
    ['more than 256 characters', 's'.repeat(257)],
  ])('refuses a subject with %s (400 naming subject)', async (_what, subject) => {
    const requestId = newRequestId();
    const res = await mint(acmeAdmin, 'acme', grant(['reader'], 60, subject), requestId);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'subject' });
    expect(res.body).not.toHaveProperty('token');
    await expectAudited(gw, requestId, 400);
  });

  it('mints printable subjects in any script, and a string of roles is 400 naming roles', async () => {
    const ok = await mint(
      acmeAdmin,
      'acme',
      grant(['reader'], 60, 'svc:ingest/01 ünïcode 名前 😀'),
    );
    expect(ok.status).toBe(201);
    const res = await mint(acmeAdmin, 'acme', grant('tenant_admin'));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'roles' });
  });

  it('refuses a token whose sub or mintedBy is not printable (401)', async () => {
    for (const claims of [
      { sub: 'svc\u001b[31m', tenant_id: 'acme', roles: ['reader'] },
      { tenant_id: 'acme', roles: ['reader'], mintedBy: 'ops\u0000' },
    ]) {
      const res = await searchWith(gw.tokens.signed(claims));
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ reason: 'token_subject' });
    }
  });

  it('refuses tokens that mix tenant and platform principals (401)', async () => {
    for (const claims of [
      { tenant_id: 'acme', roles: ['reader', 'platform_admin'] },
      { roles: ['reader'] },
      { tenant_id: 'acme', roles: 'reader' },
      { tenant_id: 'acme', roles: [] },
      { tenant_id: 'ACME', roles: ['reader'] },
    ]) {
      const res = await searchWith(gw.tokens.signed(claims));
      expect(res.status).toBe(401);
    }
  });
});
