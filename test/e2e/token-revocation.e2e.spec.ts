import { expectAudited, newRequestId } from '../support/audit-trail';
import { refusedSearch, searchBearing } from '../support/requests';
import { MAX_MINT_DEPTH } from '@vecgate/tenancy';
import { createTenant, startWithTwoTenants } from '../support/fixtures';
import { startGateway, type TestGateway } from '../support/test-gateway';
import { bearer, ttlFrom } from '../support/tokens';

interface Minted {
  token: string;
  jti: string;
}

interface Listed {
  jti: string;
  subject: string;
  roles: string[];
  mintedBy: string;
  mintedByJti: string | null;
  issuedAt: string;
  expiresAt: string;
}

/** Revoking a minted token revokes everything minted from it, and admins can see what is live. */
describe('minted token lineage', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startWithTwoTenants();
  });
  afterAll(() => gw.close(true));

  /** Asks `by` to mint `roles` for `subject`, for as long as `by` itself lives. */
  const mintRequest = (by: string, tenant: string, subject: string, roles: string[]) =>
    gw.http
      .post(`/v1/admin/tenants/${tenant}/tokens`)
      .set(bearer(by))
      .send({ subject, roles, ttlSeconds: ttlFrom(by) });
  const mint = async (
    by: string,
    tenant: string,
    subject: string,
    roles = ['tenant_admin', 'reader'],
  ): Promise<Minted> => {
    const res = await mintRequest(by, tenant, subject, roles);
    expect(res.status).toBe(201);
    return res.body as Minted;
  };
  const reads = async (token: string): Promise<number> => (await searchBearing(gw, token)).status;
  const revoke = (by: string, tenant: string, jti: string) =>
    gw.http.delete(`/v1/admin/tenants/${tenant}/tokens/${jti}`).set(bearer(by));
  const list = (by: string, tenant: string, query: Record<string, string | number> = {}) =>
    gw.http.get(`/v1/admin/tenants/${tenant}/tokens`).query(query).set(bearer(by));

  it('revoking a token refuses every token minted from it, at any depth, for reading and minting', async () => {
    const t1 = await mint(gw.tokens.platform(), 'acme', 'ops-1');
    const t2 = await mint(t1.token, 'acme', 'ops-2');
    const t3 = await mint(t2.token, 'acme', 'ops-3');
    const t4 = await mint(t3.token, 'acme', 'reader-4', ['reader']);
    // A sibling minted by the platform, and globex's tokens, are not part of the lineage.
    const sibling = await mint(gw.tokens.platform(), 'acme', 'sibling');
    const globex = await mint(gw.tokens.platform(), 'globex', 'globex-ops');
    const globexChild = await mint(globex.token, 'globex', 'globex-child', ['reader']);
    for (const t of [t1, t2, t3, t4, sibling, globex, globexChild])
      expect(await reads(t.token)).toBe(200);

    expect((await revoke(gw.tokens.platform(), 'acme', t2.jti)).status).toBe(204);

    expect(await reads(t1.token)).toBe(200);
    for (const t of [t2, t3, t4]) {
      const { res } = await refusedSearch(gw, bearer(t.token), { vector: [1, 0, 0], topK: 1 }, 401);
      expect(res.body).toMatchObject({ reason: 'token_revoked' });
    }
    const mintAfter = await mintRequest(t3.token, 'acme', 'late', ['reader']);
    expect(mintAfter.status).toBe(401);
    expect(mintAfter.body).not.toHaveProperty('token');
    for (const t of [sibling, globex, globexChild]) expect(await reads(t.token)).toBe(200);

    // Revoking the root catches what was minted from it since, and the root itself.
    const t2b = await mint(t1.token, 'acme', 'ops-2b');
    expect((await revoke(gw.tokens.platform(), 'acme', t1.jti)).status).toBe(204);
    for (const t of [t1, t2b]) expect(await reads(t.token)).toBe(401);
    expect(await reads(sibling.token)).toBe(200);
  });

  it('bounds a lineage at 16 minted tokens: the next mint is 403 mint_depth', async () => {
    let minter = gw.tokens.platform();
    const chain: Minted[] = [];
    for (let depth = 0; depth <= MAX_MINT_DEPTH; depth++) {
      chain.push(await mint(minter, 'globex', `depth-${depth}`));
      minter = chain[chain.length - 1]!.token;
    }
    // chain[16] descends from 16 minted tokens: it works, but cannot mint further.
    expect(await reads(minter)).toBe(200);
    const res = await mintRequest(minter, 'globex', 'too-deep', ['reader']);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ reason: 'mint_depth' });
    // Revoking the root still reaches the deepest one.
    expect((await revoke(gw.tokens.platform(), 'globex', chain[0]!.jti)).status).toBe(204);
    expect(await reads(minter)).toBe(401);
  });

  it('lists the live tokens of a tenant with who minted each, and no token secrets', async () => {
    const admin = await mint(gw.tokens.platform(), 'acme', 'lister');
    const child = await mint(admin.token, 'acme', 'listed-child', ['reader']);
    const gone = await mint(admin.token, 'acme', 'listed-gone', ['reader']);
    expect((await revoke(admin.token, 'acme', gone.jti)).status).toBe(204);

    const res = await list(admin.token, 'acme', { limit: 1000 });
    expect(res.status).toBe(200);
    const items = (res.body as { items: Listed[] }).items;
    expect(items.find((t) => t.jti === child.jti)).toEqual({
      jti: child.jti,
      subject: 'listed-child',
      roles: ['reader'],
      mintedBy: 'lister',
      mintedByJti: admin.jti,
      issuedAt: expect.any(String) as string,
      expiresAt: expect.any(String) as string,
    });
    expect(items.find((t) => t.jti === admin.jti)).toMatchObject({
      mintedBy: 'platform-operator',
      mintedByJti: null,
    });
    expect(items.some((t) => t.jti === gone.jti)).toBe(false);
    expect(res.text).not.toContain(child.token.split('.')[2]);
    expect(res.text).not.toContain('globex');

    // Pages: one at a time, every live token once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(admin.token, 'acme', cursor ? { limit: 1, cursor } : { limit: 1 });
      const body = page.body as { items: Listed[]; nextCursor: string | null };
      seen.push(...body.items.map((t) => t.jti));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(items.map((t) => t.jti));

    // A tenant admin revokes what it found in the listing; the listing then drops it.
    expect((await revoke(admin.token, 'acme', child.jti)).status).toBe(204);
    const after = (await list(gw.tokens.platform(), 'acme', { limit: 1000 })).body as {
      items: Listed[];
    };
    expect(after.items.some((t) => t.jti === child.jti)).toBe(false);
  });

  it("refuses another tenant's admin the listing (403) whether or not the tenant exists", async () => {
    const globexAdmin = gw.tokens.tenant('globex', ['tenant_admin']);
    for (const target of ['acme', 'no-such-tenant']) {
      const requestId = newRequestId();
      const res = await gw.http
        .get(`/v1/admin/tenants/${target}/tokens`)
        .set({ ...bearer(globexAdmin), 'x-request-id': requestId });
      expect(res.status).toBe(403);
      expect(res.text).not.toContain('lister');
      await expectAudited(gw, requestId, 403);
    }
    const reader = gw.tokens.tenant('acme', ['reader']);
    expect((await list(reader, 'acme')).status).toBe(403);
    expect((await list(gw.tokens.platform(), 'no-such-tenant')).status).toBe(404);
  });
});

/**
 * A token is accepted until `exp` plus the clock tolerance (JWT_CLOCK_TOLERANCE_SECONDS, 5 s),
 * so its revocation must outlive `exp` as long: the periodic reload of the revocation list
 * (every TENANT_CACHE_TTL_MS, 100 ms here) keeps it.
 */
describe('a revoked token near its expiry', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ env: { TENANT_CACHE_TTL_MS: '100' } });
    await createTenant(gw.http, gw.tokens, { id: 'acme', dimension: 3, metric: 'cosine' });
  });
  afterAll(() => gw.close(true));

  it('stays refused as revoked after its exp, for as long as the tolerance accepts it', async () => {
    const minted = await gw.http
      .post('/v1/admin/tenants/acme/tokens')
      .set(bearer(gw.tokens.platform()))
      .send({ subject: 'leaked', roles: ['reader'], ttlSeconds: 1 });
    expect(minted.status).toBe(201);
    const { token, jti } = minted.body as Minted;
    const revoked = await gw.http
      .delete(`/v1/admin/tenants/acme/tokens/${jti}`)
      .set(bearer(gw.tokens.platform()));
    expect(revoked.status).toBe(204);
    // Past exp (and several reloads), within the tolerance.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const res = await searchBearing(gw, token);
    expect([res.status, (res.body as { reason?: string }).reason]).toEqual([401, 'token_revoked']);
  });
});
