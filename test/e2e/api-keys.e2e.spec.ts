import { createHmac, hkdfSync } from 'node:crypto';
import { SqlDatabase } from '@vecgate/core';
import { API_KEY_HKDF_LABEL, MAX_LIVE_API_KEYS } from '@vecgate/tenancy';
import { TenancyTables } from '@vecgate/tenancy/registry/tenancy.tables';
import { expectAudited, newRequestId } from '../support/audit-trail';
import { rawRequest } from '../support/raw-http';
import { createTenantOn, startWithTwoTenants } from '../support/fixtures';
import { eventually } from '../support/eventually';
import { describeOnPostgres, withReplicaPair } from '../support/replicas';
import { deleteTenant } from '../support/tenant-deletion';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer, TEST_SECRET, ttlFrom } from '../support/tokens';

/** The format the README documents for secret scanners. */
const KEY_FORMAT = /^vgk_[0-9a-f]{24}_[A-Za-z0-9_-]{56}$/;

interface Created {
  id: string;
  key: string;
  name: string;
  roles: string[];
  createdAt: string;
  expiresAt: string | null;
}

interface Listed {
  id: string;
  name: string;
  roles: string[];
  createdBy: string;
  createdByJti: string | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

const apiKey = (key: string): Record<string, string> => ({ 'api-key': key });

function helpers(gw: TestGateway) {
  const create = (by: string, tenant: string, body: Record<string, unknown>) =>
    gw.http.post(`/v1/admin/tenants/${tenant}/api-keys`).set(bearer(by)).send(body);
  const registry = () => gw.app.get(SqlDatabase).kysely<TenancyTables>();
  return {
    create,
    registry,
    /** A key's registry row. */
    row: (id: string) =>
      registry()
        .selectFrom('vg_api_keys')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow(),
    async created(by: string, tenant: string, body: Record<string, unknown>): Promise<Created> {
      const res = await create(by, tenant, body);
      expect(res.status).toBe(201);
      return res.body as Created;
    },
    list: (by: string, tenant: string) =>
      gw.http.get(`/v1/admin/tenants/${tenant}/api-keys`).set(bearer(by)),
    revoke: (by: string, tenant: string, id: string) =>
      gw.http.delete(`/v1/admin/tenants/${tenant}/api-keys/${id}`).set(bearer(by)),
    search: (headers: Record<string, string>) =>
      gw.http
        .post('/v1/search')
        .set(headers)
        .send({ vector: [1, 0, 0], topK: 1 }),
  };
}

describe('tenant API keys', () => {
  let gw: TestGateway;
  let h: ReturnType<typeof helpers>;

  beforeAll(async () => {
    gw = await startWithTwoTenants();
    h = helpers(gw);
    await gw.http
      .put('/v1/vectors')
      .set(bearer(gw.tokens.tenant('acme', ['writer'])))
      .send({ vectors: [{ id: 'acme-doc', values: [1, 0, 0] }] });
    await gw.http
      .put('/v1/vectors')
      .set(bearer(gw.tokens.tenant('globex', ['writer'])))
      .send({ vectors: [{ id: 'globex-doc', values: [1, 0, 0] }] });
  });
  afterAll(() => gw.close(true));

  it('shows a key once, accepts it as a bearer or api-key header, and serves only its tenant', async () => {
    const created = await h.created(gw.tokens.platform(), 'acme', {
      name: 'ingest',
      roles: ['reader'],
    });
    expect(created).toMatchObject({ name: 'ingest', roles: ['reader'], expiresAt: null });
    expect(created.key).toMatch(KEY_FORMAT);
    expect(created.key).toContain(`vgk_${created.id}_`);
    for (const headers of [bearer(created.key), apiKey(created.key)]) {
      const res = await h.search(headers);
      expect(res.status).toBe(200);
      expect((res.body as { matches: { id: string }[] }).matches.map((m) => m.id)).toEqual([
        'acme-doc',
      ]);
    }
    // Same key in both headers is one credential.
    expect((await h.search({ ...bearer(created.key), ...apiKey(created.key) })).status).toBe(200);
    // reader only: writing is 403.
    const write = await gw.http
      .put('/v1/vectors')
      .set(apiKey(created.key))
      .send({ vectors: [{ id: 'x', values: [1, 0, 0] }] });
    expect(write.status).toBe(403);

    const listed = await h.list(gw.tokens.platform(), 'acme');
    expect(listed.status).toBe(200);
    const item = (listed.body as { items: Listed[] }).items.find((k) => k.id === created.id);
    expect(item).toMatchObject({
      name: 'ingest',
      roles: ['reader'],
      createdBy: 'platform-operator',
    });
    expect(item?.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed.body)).not.toContain(created.key.slice(29));
    expect(JSON.stringify(listed.body)).not.toMatch(/vgk_|hash/i);
    // The other tenant lists none of acme's keys.
    const other = await h.list(gw.tokens.platform(), 'globex');
    expect(JSON.stringify(other.body)).not.toContain(created.id);
  });

  it('stores only an HMAC-SHA256 of the key, never the key or its secret', async () => {
    const created = await h.created(gw.tokens.platform(), 'acme', {
      name: 'stored',
      roles: ['reader'],
    });
    const db = h.registry();
    const row = await h.row(created.id);
    const secretPart = created.key.slice(`vgk_${created.id}_`.length);
    const everything = JSON.stringify(await db.selectFrom('vg_api_keys').selectAll().execute());
    expect(everything).not.toContain(secretPart);
    expect(everything).not.toContain(secretPart.slice(0, 20));
    // The hash is HMAC-SHA256 under the key derived from JWT_SECRET, as documented.
    const derived = Buffer.from(
      hkdfSync('sha256', Buffer.from(TEST_SECRET), Buffer.alloc(0), API_KEY_HKDF_LABEL, 32),
    );
    const secret = Buffer.from(secretPart, 'base64url').subarray(0, 32);
    const expected = createHmac('sha256', derived).update(created.id).update(secret).digest('hex');
    expect(row.key_hash).toBe(expected);
    expect(row.tenant_uid).toMatch(/^[0-9a-f]{32}$/);
  });

  it(`holds at most ${MAX_LIVE_API_KEYS} live keys per tenant: 409 past it, room again once one is revoked`, async () => {
    await createTenantOn(gw, 'keyring');
    const admin = gw.tokens.platform();
    const first = await h.created(admin, 'keyring', { name: 'first', roles: ['reader'] });
    // The rest of the bound written straight into the registry, as copies of the first key.
    const db = h.registry();
    const row = await h.row(first.id);
    const copies = Array.from({ length: MAX_LIVE_API_KEYS - 1 }, (_, i) => ({
      ...row,
      id: `${first.id.slice(0, 16)}${i.toString(16).padStart(8, '0')}`,
      name: `copy-${i}`,
    }));
    for (let at = 0; at < copies.length; at += 200)
      await db
        .insertInto('vg_api_keys')
        .values(copies.slice(at, at + 200))
        .execute();
    const refused = await h.create(admin, 'keyring', { name: 'one-too-many', roles: ['reader'] });
    expect([refused.status, refused.body.detail]).toEqual([
      409,
      expect.stringContaining(`${MAX_LIVE_API_KEYS} live API keys`),
    ]);
    // Other tenants are not counted against it.
    await h.created(admin, 'acme', { name: 'acme-still', roles: ['reader'] });
    expect((await h.revoke(admin, 'keyring', first.id)).status).toBe(204);
    await h.created(admin, 'keyring', { name: 'after-revoke', roles: ['reader'] });
    expect(
      (await h.create(admin, 'keyring', { name: 'full-again', roles: ['reader'] })).status,
    ).toBe(409);
  });

  it('revokes a key: 204, then 401 api_key_revoked, audited, and gone from the list', async () => {
    const created = await h.created(gw.tokens.platform(), 'globex', {
      name: 'short-lived',
      roles: ['reader', 'writer'],
    });
    expect((await h.search(bearer(created.key))).status).toBe(200);
    // Another tenant's admin cannot revoke it, and acme's admin route does not know it.
    expect(
      (await h.revoke(gw.tokens.tenant('acme', ['tenant_admin']), 'globex', created.id)).status,
    ).toBe(403);
    expect((await h.revoke(gw.tokens.platform(), 'acme', created.id)).status).toBe(404);
    expect((await h.search(bearer(created.key))).status).toBe(200);
    const admin = gw.tokens.tenant('globex', ['tenant_admin']);
    expect((await h.revoke(admin, 'globex', created.id)).status).toBe(204);
    const requestId = newRequestId();
    const refused = await h.search({ ...bearer(created.key), 'x-request-id': requestId });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ reason: 'api_key_revoked' });
    await expectAudited(gw, requestId, 401);
    const listed = await h.list(admin, 'globex');
    expect(JSON.stringify(listed.body)).not.toContain(created.id);
    expect((await h.revoke(admin, 'globex', 'ffffffffffffffffffffffff')).status).toBe(404);
  });

  it('grants as minting does: platform_admin or the tenant’s own tenant_admin, within its roles', async () => {
    const platform = gw.tokens.platform();
    const acmeAdmin = gw.tokens.tenant('acme', ['tenant_admin', 'reader']);
    const cases: [string, string, Record<string, unknown>, number][] = [
      [platform, 'acme', { name: 'p', roles: ['reader', 'writer', 'tenant_admin'] }, 201],
      [acmeAdmin, 'acme', { name: 'a', roles: ['reader'] }, 201],
      [acmeAdmin, 'acme', { name: 'a', roles: ['tenant_admin'] }, 201],
      // Not roles it holds.
      [acmeAdmin, 'acme', { name: 'a', roles: ['writer'] }, 403],
      // Another tenant, whether or not it exists.
      [acmeAdmin, 'globex', { name: 'a', roles: ['reader'] }, 403],
      [acmeAdmin, 'no-such-tenant', { name: 'a', roles: ['reader'] }, 403],
      [gw.tokens.tenant('acme', ['reader']), 'acme', { name: 'r', roles: ['reader'] }, 403],
      [gw.tokens.tenant('acme', ['writer']), 'acme', { name: 'w', roles: ['reader'] }, 403],
      [gw.tokens.platform(['auditor']), 'acme', { name: 'x', roles: ['reader'] }, 403],
      [gw.tokens.platform(['cross_tenant_admin']), 'acme', { name: 'x', roles: ['reader'] }, 403],
      // Platform roles are never granted; input is checked.
      [platform, 'acme', { name: 'x', roles: ['platform_admin'] }, 403],
      [platform, 'acme', { name: 'x', roles: ['reader', 'auditor'] }, 403],
      [platform, 'acme', { name: 'x', roles: [] }, 400],
      [platform, 'acme', { name: 'x', roles: 'reader' }, 400],
      [platform, 'acme', { name: '', roles: ['reader'] }, 400],
      [platform, 'acme', { name: 'bad\u0000name', roles: ['reader'] }, 400],
      [platform, 'acme', { name: 'x', roles: ['reader'], expiresAt: 'tomorrow' }, 400],
      [platform, 'acme', { name: 'x', roles: ['reader'], tenant_id: 'globex' }, 400],
      [platform, 'no-such-tenant', { name: 'x', roles: ['reader'] }, 404],
    ];
    for (const [by, tenant, body, status] of cases) {
      const res = await h.create(by, tenant, body);
      expect({ tenant, body, status: res.status }).toEqual({ tenant, body, status });
      if (status !== 201) expect(res.body).not.toHaveProperty('key');
    }
  });

  it('keys cannot mint: a tenant_admin key creates no key and mints no token', async () => {
    const adminKey = await h.created(gw.tokens.platform(), 'acme', {
      name: 'admin-key',
      roles: ['tenant_admin', 'reader'],
    });
    const key = await h.create(adminKey.key, 'acme', { name: 'child', roles: ['reader'] });
    expect(key.status).toBe(403);
    expect(key.body).toMatchObject({ reason: 'api_key_cannot_mint' });
    const token = await gw.http
      .post('/v1/admin/tenants/acme/tokens')
      .set(apiKey(adminKey.key))
      .send({ subject: 'from-key', roles: ['reader'], ttlSeconds: 60 });
    expect(token.status).toBe(403);
    expect(token.body).not.toHaveProperty('token');
    // It still administers what its role allows: listing keys.
    expect(
      (await gw.http.get('/v1/admin/tenants/acme/api-keys').set(apiKey(adminKey.key))).status,
    ).toBe(200);
    expect(
      (await gw.http.get('/v1/admin/tenants/globex/api-keys').set(apiKey(adminKey.key))).status,
    ).toBe(403);
  });

  it('attributes requests to key:<id>, minted by the creator, in the audit trail', async () => {
    const admin = gw.tokens.tenant('acme', ['tenant_admin', 'reader'], { sub: 'acme-ops' });
    const created = await h.created(admin, 'acme', { name: 'audited', roles: ['reader'] });
    const requestId = newRequestId();
    expect((await h.search({ ...apiKey(created.key), 'x-request-id': requestId })).status).toBe(
      200,
    );
    const event = await expectAudited(gw, requestId, 200);
    expect(event).toMatchObject({
      subject: `key:${created.id}`,
      mintedBy: 'acme-ops',
      tenantId: 'acme',
    });
  });

  it('refuses a request that carries two different credentials, even when both are valid', async () => {
    const one = await h.created(gw.tokens.platform(), 'acme', { name: 'one', roles: ['reader'] });
    const two = await h.created(gw.tokens.platform(), 'acme', { name: 'two', roles: ['reader'] });
    const jwt = gw.tokens.tenant('acme', ['reader']);
    for (const headers of [
      { ...bearer(jwt), ...apiKey(one.key) },
      { ...bearer(one.key), ...apiKey(two.key) },
      { authorization: `Basic ${one.key}`, ...apiKey(one.key) },
    ]) {
      const requestId = newRequestId();
      const res = await h.search({ ...headers, 'x-request-id': requestId });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ reason: 'credentials_conflict' });
      await expectAudited(gw, requestId, 401);
    }
  });

  it('refuses a repeated credential header, whichever copy would have been judged', async () => {
    const one = await h.created(gw.tokens.platform(), 'acme', { name: 'rep-1', roles: ['reader'] });
    const two = await h.created(gw.tokens.platform(), 'acme', { name: 'rep-2', roles: ['reader'] });
    const jwt = gw.tokens.tenant('acme', ['reader']);
    const search = (headers: [string, string][]) =>
      rawRequest(
        gw,
        'POST',
        '/v1/search',
        [['Content-Type', 'application/json'], ...headers],
        JSON.stringify({ vector: [1, 0, 0], topK: 1 }),
      );
    for (const headers of [
      [
        ['Authorization', `Bearer ${one.key}`],
        ['authorization', `Bearer ${two.key}`],
      ],
      [
        ['Authorization', `Bearer ${jwt}`],
        ['AUTHORIZATION', `Bearer ${one.key}`],
      ],
      [
        ['Authorization', `Bearer ${jwt}`],
        ['Authorization', `Bearer ${jwt}`],
      ],
      [
        ['api-key', one.key],
        ['Api-Key', two.key],
      ],
    ] as [string, string][][]) {
      const answer = await search(headers);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toMatchObject({ reason: 'credentials_conflict' });
    }
    // Each header once, the same key in both: one credential.
    const once = await search([
      ['Authorization', `Bearer ${one.key}`],
      ['api-key', one.key],
    ]);
    expect(once.status).toBe(200);
  });

  it('revoking the token that created a key revokes the key, through any depth of minting', async () => {
    const platform = gw.tokens.platform();
    const mint = async (by: string, subject: string): Promise<{ token: string; jti: string }> => {
      const res = await gw.http
        .post('/v1/admin/tenants/acme/tokens')
        .set(bearer(by))
        .send({ subject, roles: ['tenant_admin', 'reader'], ttlSeconds: ttlFrom(by, 120) });
      expect(res.status).toBe(201);
      return res.body as { token: string; jti: string };
    };
    const shortLived = await mint(platform, 'temp-admin');
    const child = await mint(shortLived.token, 'temp-child');
    const direct = await h.created(shortLived.token, 'acme', { name: 'direct', roles: ['reader'] });
    const deep = await h.created(child.token, 'acme', { name: 'deep', roles: ['reader'] });
    const unrelated = await h.created(platform, 'acme', { name: 'unrelated', roles: ['reader'] });
    const listed = (await h.list(platform, 'acme')).body as { items: Listed[] };
    expect(listed.items.find((k) => k.id === deep.id)?.createdByJti).toBe(child.jti);
    for (const k of [direct, deep, unrelated])
      expect((await h.search(bearer(k.key))).status).toBe(200);

    const revoked = await gw.http
      .delete(`/v1/admin/tenants/acme/tokens/${shortLived.jti}`)
      .set(bearer(platform));
    expect(revoked.status).toBe(204);
    for (const k of [direct, deep]) {
      const res = await h.search(bearer(k.key));
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ reason: 'api_key_revoked' });
    }
    expect((await h.search(bearer(unrelated.key))).status).toBe(200);
    // A revoked token creates nothing more.
    expect((await h.create(child.token, 'acme', { name: 'late', roles: ['reader'] })).status).toBe(
      401,
    );
  });

  it('never accepts the keys of a deleted tenant in the re-created tenant of the same id', async () => {
    await createTenantOn(gw, 'phoenix');
    const old = await h.created(gw.tokens.platform(), 'phoenix', {
      name: 'old',
      roles: ['reader'],
    });
    expect((await h.search(bearer(old.key))).status).toBe(200);
    expect(await deleteTenant(gw.http, 'phoenix', bearer(gw.tokens.platform()))).toBe(204);
    expect((await h.search(bearer(old.key))).status).toBe(401);
    await createTenantOn(gw, 'phoenix');
    const res = await h.search(apiKey(old.key));
    expect(res.status).toBe(401);
    const fresh = await h.created(gw.tokens.platform(), 'phoenix', {
      name: 'new',
      roles: ['reader'],
    });
    expect((await h.search(bearer(fresh.key))).status).toBe(200);
    const listed = (await h.list(gw.tokens.platform(), 'phoenix')).body as { items: Listed[] };
    expect(listed.items.map((k) => k.id)).toEqual([fresh.id]);
  });

  it('refuses guessed, truncated and altered keys with 401, revealing nothing of the real key', async () => {
    const real = await h.created(gw.tokens.platform(), 'acme', { name: 'real', roles: ['reader'] });
    const flip = (c: string): string => (c === 'A' ? 'B' : 'A');
    const last = real.key.length - 1;
    for (const key of [
      `vgk_${'0'.repeat(24)}_${'A'.repeat(56)}`,
      real.key.slice(0, -1),
      `${real.key}A`,
      real.key.slice(0, last) + flip(real.key.charAt(last)),
      real.key.replace(real.id, 'f'.repeat(24)),
      'vgk_',
      'vgk_not-a-key',
    ]) {
      for (const headers of [bearer(key), apiKey(key)]) {
        const res = await h.search(headers);
        expect(res.status).toBe(401);
        expect(JSON.stringify(res.body)).not.toContain(real.key);
      }
    }
  });
});

describe('API key lifetimes', () => {
  let gw: TestGateway;
  let h: ReturnType<typeof helpers>;

  beforeAll(async () => {
    gw = await startGateway({ env: { API_KEY_MAX_DAYS: 'default:unlimited;standard:30' } });
    h = helpers(gw);
    await createTenantOn(gw, 'bounded', { tier: 'standard' });
  });
  afterAll(() => gw.close(true));

  const inDays = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString();

  it('bounds expiresAt by the tier maximum: 422 past it, the maximum when absent', async () => {
    const past = await h.create(gw.tokens.platform(), 'bounded', {
      name: 'too-long',
      roles: ['reader'],
      expiresAt: inDays(31),
    });
    expect(past.status).toBe(422);
    expect(past.body).toMatchObject({ field: 'expiresAt' });
    const within = await h.created(gw.tokens.platform(), 'bounded', {
      name: 'ok',
      roles: ['reader'],
      expiresAt: inDays(29),
    });
    expect(Date.parse(within.expiresAt as string)).toBeGreaterThan(Date.now() + 28 * 86_400_000);
    const defaulted = await h.created(gw.tokens.platform(), 'bounded', {
      name: 'd',
      roles: ['reader'],
    });
    const expiry = Date.parse(defaulted.expiresAt as string);
    expect(Math.abs(expiry - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
    const inThePast = await h.create(gw.tokens.platform(), 'bounded', {
      name: 'past',
      roles: ['reader'],
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect(inThePast.status).toBe(400);
  });

  it('refuses a key once it has expired, and lists it no more', async () => {
    const soon = await h.created(gw.tokens.platform(), 'bounded', {
      name: 'soon',
      roles: ['reader'],
      expiresAt: new Date(Date.now() + 2000).toISOString(),
    });
    expect((await h.search(bearer(soon.key))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    const res = await h.search(bearer(soon.key));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ reason: 'api_key_expired' });
    const listed = await h.list(gw.tokens.platform(), 'bounded');
    expect(JSON.stringify(listed.body)).not.toContain(soon.id);
  });

  it('leaves keys of tiers without a maximum unbounded', async () => {
    await createTenantOn(gw, 'open', { tier: 'premium' });
    const far = await h.created(gw.tokens.platform(), 'open', {
      name: 'far',
      roles: ['reader'],
      expiresAt: inDays(3650),
    });
    expect(far.expiresAt).not.toBeNull();
    const never = await h.created(gw.tokens.platform(), 'open', {
      name: 'never',
      roles: ['reader'],
    });
    expect(never.expiresAt).toBeNull();
  });
});

/**
 * Two replicas on one PostgreSQL registry, with a one-minute cache: only LISTEN/NOTIFY can
 * explain a revocation reaching the other replica within seconds.
 */
describeOnPostgres('API keys across replicas on PostgreSQL', () => {
  let a: TestGateway;
  let b: TestGateway;

  withReplicaPair(async (pair) => {
    ({ a, b } = pair);
    // Embedded, so it is served by B, which holds its records; keys are managed on A.
    await createTenantOn(b, 'replicated');
  });

  const searchOnB = async (key: string): Promise<number> =>
    (await helpers(b).search(apiKey(key))).status;

  it('refuses on the other replica a key revoked on one, well within the cache period', async () => {
    const created = await helpers(a).created(a.tokens.platform(), 'replicated', {
      name: 'shared',
      roles: ['reader'],
    });
    // B reads and caches the key.
    expect(await searchOnB(created.key)).toBe(200);
    expect(await searchOnB(created.key)).toBe(200);
    expect((await helpers(a).revoke(a.tokens.platform(), 'replicated', created.id)).status).toBe(
      204,
    );
    const after = await eventually(5000, async () => (await searchOnB(created.key)) === 401);
    console.log(`an API key revocation reached the other replica in ${after} ms`);
  });

  it('refuses on the other replica the keys of a token revoked on one', async () => {
    const minted = await a.http
      .post('/v1/admin/tenants/replicated/tokens')
      .set(bearer(a.tokens.platform()))
      .send({ subject: 'temp-admin', roles: ['tenant_admin', 'reader'], ttlSeconds: 300 });
    expect(minted.status).toBe(201);
    const { token, jti } = minted.body as { token: string; jti: string };
    // A tenant token is served by the replica holding the tenant: B.
    const created = await helpers(b).created(token, 'replicated', {
      name: 'from-token',
      roles: ['reader'],
    });
    expect(await searchOnB(created.key)).toBe(200);
    const revoked = await a.http
      .delete(`/v1/admin/tenants/replicated/tokens/${jti}`)
      .set(bearer(a.tokens.platform()));
    expect(revoked.status).toBe(204);
    await eventually(5000, async () => (await searchOnB(created.key)) === 401);
  });
});
