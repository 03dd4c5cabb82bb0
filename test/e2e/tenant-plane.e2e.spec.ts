import { createTenant } from '../support/fixtures';
import { expectAudited, newRequestId } from '../support/audit-trail';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/**
 * Three tenants on the three embedded strategies, plus a fourth sharing initech's table.
 * They all store records under the same ids; every feature is exercised positively and then
 * by its negative twins, each of which must get its documented status, return nothing of
 * another tenant, and leave an audit event.
 */
const TENANTS = [
  { id: 'acme', tier: 'enterprise', strategy: 'database' },
  { id: 'globex', tier: 'premium', strategy: 'collection' },
  { id: 'initech', tier: 'standard', strategy: 'partition_key' },
  { id: 'hooli', tier: 'standard', strategy: 'partition_key' },
] as const;
type TenantId = (typeof TENANTS)[number]['id'];

const DIM = 4;
const SHARED_IDS = ['doc-1', 'doc-2', 'doc-3'];

interface TenantTokens {
  uid: string;
  writer: string;
  reader: string;
  admin: string;
}

function recordsOf(
  tenant: TenantId,
): { id: string; values: number[]; metadata: Record<string, unknown> }[] {
  const seed = TENANTS.findIndex((t) => t.id === tenant) + 1;
  return [...SHARED_IDS, `only-${tenant}`].map((id, i) => ({
    id,
    values: [seed, i + 1, 1, 0.5].map((v) => v / 10),
    metadata: { owner: tenant, rank: i, genre: i % 2 === 0 ? 'news' : 'sport' },
  }));
}

/** Every string in a response body, flattened, to search for another tenant's traces. */
function textOf(body: unknown): string {
  return JSON.stringify(body ?? null);
}

describe('tenant plane, end to end on the embedded backend', () => {
  let gw: TestGateway;
  const tokens = {} as Record<TenantId, TenantTokens>;

  beforeAll(async () => {
    gw = await startGateway({ env: { AUDIT_UNAUTHENTICATED_PER_SECOND: '100000' } });
    const admin = bearer(gw.tokens.platform());
    for (const t of TENANTS) {
      const tenant = await createTenant(gw.http, gw.tokens, {
        id: t.id,
        tier: t.tier,
        dimension: DIM,
        metric: 'cosine',
      });
      expect(tenant.strategy).toBe(t.strategy);
      const mint = async (roles: string[]): Promise<string> => {
        const res = await gw.http
          .post(`/v1/admin/tenants/${t.id}/tokens`)
          .set(admin)
          .send({ subject: `${t.id}-${roles.join('-')}`, roles, ttlSeconds: 1800 });
        expect(res.status).toBe(201);
        return (res.body as { token: string }).token;
      };
      tokens[t.id] = {
        uid: tenant.uid as string,
        writer: await mint(['writer']),
        reader: await mint(['reader']),
        admin: await mint(['tenant_admin']),
      };
    }
    for (const t of TENANTS) {
      const seeded = await gw.http
        .put('/v1/vectors')
        .set(bearer(tokens[t.id].writer))
        .send({ vectors: recordsOf(t.id) });
      expect(seeded.status).toBe(200);
    }
  });

  afterAll(() => gw.close(true));

  describe.each(TENANTS.map((t) => [t.id, t.strategy] as const))('%s (%s)', (tenant) => {
    const others = TENANTS.map((t) => t.id).filter((id) => id !== tenant);

    it('upserts a batch as writer, idempotently by id', async () => {
      const res = await gw.http
        .put('/v1/vectors')
        .set(bearer(tokens[tenant].writer))
        .send({ vectors: recordsOf(tenant) });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ upserted: 4 });
    });

    it('searches as reader and finds only its own records', async () => {
      const res = await gw.http
        .post('/v1/search')
        .set(bearer(tokens[tenant].reader))
        .send({ vector: [0.1, 0.1, 0.1, 0.1], topK: 100, includeMetadata: true });
      expect(res.status).toBe(200);
      const matches = (
        res.body as { matches: { id: string; score: number; metadata: { owner: string } }[] }
      ).matches;
      expect(matches.map((m) => m.id).sort()).toEqual([...SHARED_IDS, `only-${tenant}`].sort());
      expect(matches.every((m) => m.metadata.owner === tenant)).toBe(true);
      const scores = matches.map((m) => m.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    });

    it('filters within its own records only', async () => {
      const res = await gw.http
        .post('/v1/search')
        .set(bearer(tokens[tenant].reader))
        .send({
          vector: [0.1, 0.2, 0.3, 0.4],
          topK: 10,
          includeMetadata: true,
          filter: { genre: 'news' },
        });
      expect(res.status).toBe(200);
      const matches = (res.body as { matches: { metadata: { owner: string; genre: string } }[] })
        .matches;
      expect(matches).toHaveLength(2);
      expect(matches.every((m) => m.metadata.owner === tenant && m.metadata.genre === 'news')).toBe(
        true,
      );
    });

    it('fetches its own record by id', async () => {
      const res = await gw.http.get('/v1/vectors/doc-1').set(bearer(tokens[tenant].reader));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: 'doc-1', metadata: { owner: tenant } });
      expect((res.body as { values: number[] }).values).toHaveLength(DIM);
    });

    it('reports only its own count in stats', async () => {
      const res = await gw.http.get('/v1/stats').set(bearer(tokens[tenant].admin));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ vectorCount: 4, dimension: DIM, metric: 'cosine' });
    });

    it("never fetches another tenant's record with its own token", async () => {
      for (const other of others) {
        const requestId = newRequestId();
        const res = await gw.http
          .get(`/v1/vectors/only-${other}`)
          .set({ ...bearer(tokens[tenant].reader), 'x-request-id': requestId });
        expect(res.status).toBe(404);
        expect(textOf(res.body)).not.toContain('owner');
        expect(res.body).not.toHaveProperty('values');
        await expectAudited(gw, requestId, 404);
      }
    });

    it("never finds another tenant's records with a filter on another tenant's metadata", async () => {
      for (const other of others) {
        const requestId = newRequestId();
        const res = await gw.http
          .post('/v1/search')
          .set({ ...bearer(tokens[tenant].reader), 'x-request-id': requestId })
          .send({
            vector: [0.1, 0.1, 0.1, 0.1],
            topK: 100,
            includeMetadata: true,
            filter: { owner: other },
          });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ matches: [] });
        const event = await expectAudited(gw, requestId, 200);
        expect(event.resultCount).toBe(0);
      }
    });

    it.each([
      ['body', { topK: 3, vector: [0.1, 0.1, 0.1, 0.1], tenant_id: 'OTHER' }, {}, {}],
      [
        'nested metadata filter key',
        { topK: 3, vector: [0.1, 0.1, 0.1, 0.1], filter: { tenantId: 'OTHER' } },
        {},
        {},
      ],
      ['query string', { topK: 3, vector: [0.1, 0.1, 0.1, 0.1] }, { tenant_id: 'OTHER' }, {}],
      ['header', { topK: 3, vector: [0.1, 0.1, 0.1, 0.1] }, {}, { 'x-tenant-id': 'OTHER' }],
    ])(
      'refuses a tenant id in the %s (400, audited as a bypass attempt)',
      async (_where, body, query, headers) => {
        const other = others[0] as string;
        const requestId = newRequestId();
        const res = await gw.http
          .post('/v1/search')
          .query(JSON.parse(JSON.stringify(query).replace('OTHER', other)) as object)
          .set({
            ...bearer(tokens[tenant].reader),
            'x-request-id': requestId,
            ...(JSON.parse(JSON.stringify(headers).replace('OTHER', other)) as object),
          })
          .send(JSON.parse(JSON.stringify(body).replace('OTHER', other)) as object);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ reason: 'tenant_bypass_attempt' });
        expect(textOf(res.body)).not.toContain(`"owner":"${other}"`);
        const event = await expectAudited(gw, requestId, 400);
        expect(event.severity).toBe('alert');
        expect(event.tenantUid).toBe(tokens[tenant].uid);
      },
    );

    it('refuses a tenant id nested inside upserted metadata (and writes nothing)', async () => {
      const requestId = newRequestId();
      const res = await gw.http
        .put('/v1/vectors')
        .set({ ...bearer(tokens[tenant].writer), 'x-request-id': requestId })
        .send({
          vectors: [
            { id: 'smuggled', values: [1, 0, 0, 0], metadata: { a: { tenant: others[0] } } },
          ],
        });
      expect(res.status).toBe(400);
      expect((res.body as { field: string }).field).toBe('body.vectors[0].metadata.a.tenant');
      await expectAudited(gw, requestId, 400);
      const fetched = await gw.http.get('/v1/vectors/smuggled').set(bearer(tokens[tenant].reader));
      expect(fetched.status).toBe(404);
    });

    it.each([
      [
        'reader upserting',
        'reader',
        'put',
        '/v1/vectors',
        { vectors: [{ id: 'x', values: [1, 0, 0, 0] }] },
      ],
      ['writer searching', 'writer', 'post', '/v1/search', { vector: [1, 0, 0, 0], topK: 1 }],
      ['writer fetching', 'writer', 'get', '/v1/vectors/doc-1', undefined],
      ['reader deleting', 'reader', 'post', '/v1/vectors/delete', { ids: ['doc-1'] }],
      ['reader reading stats', 'reader', 'get', '/v1/stats', undefined],
      ['writer reading the audit trail', 'writer', 'get', '/v1/audit', undefined],
    ] as const)('refuses a %s without the role (403)', async (_name, role, method, path, body) => {
      const requestId = newRequestId();
      let req = gw.http[method](path).set({
        ...bearer(tokens[tenant][role]),
        'x-request-id': requestId,
      });
      if (body) req = req.send(body);
      const res = await req;
      expect(res.status).toBe(403);
      expect(textOf(res.body)).not.toContain('owner');
      await expectAudited(gw, requestId, 403);
    });

    it.each([
      [
        'forged (wrong secret)',
        (t: TestGateway) =>
          t.tokens.signed({ tenant_id: tenant, roles: ['reader'] }, {}, 'x'.repeat(40)),
      ],
      [
        'expired',
        (t: TestGateway) =>
          t.tokens.signed({ tenant_id: tenant, roles: ['reader'], iat: 1000, exp: 2000 }),
      ],
      [
        'alg none',
        (t: TestGateway) =>
          t.tokens.raw({ alg: 'none', typ: 'JWT' }, { tenant_id: tenant, roles: ['reader'] }, null),
      ],
      ['missing', () => ''],
    ])('refuses a %s token (401) and keeps the claim only as claimedTenant', async (kind, make) => {
      const requestId = newRequestId();
      const token = make(gw);
      const res = await gw.http
        .post('/v1/search')
        .set({ ...(token ? bearer(token) : {}), 'x-request-id': requestId })
        .send({ vector: [0.1, 0.1, 0.1, 0.1], topK: 100, includeMetadata: true });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(textOf(res.body)).not.toContain('owner');
      const event = await expectAudited(gw, requestId, 401);
      expect(event.tenantUid).toBeUndefined();
      expect(event.claimedTenant).toBe(kind === 'missing' ? undefined : tenant);
    });

    it("sees only its own events in its audit trail, never another tenant's or unverified claims", async () => {
      const res = await gw.http
        .get('/v1/audit')
        .query({ limit: 1000 })
        .set(bearer(tokens[tenant].admin));
      expect(res.status).toBe(200);
      const items = (
        res.body as {
          items: { tenantUid?: string; targetTenantUid?: string; claimedTenant?: string }[];
        }
      ).items;
      expect(items.length).toBeGreaterThan(5);
      for (const item of items) {
        expect([item.tenantUid, item.targetTenantUid]).toContain(tokens[tenant].uid);
        expect(item.claimedTenant).toBeUndefined();
      }
    });

    it('pages its trail with opaque cursors that show no position in the shared trail', async () => {
      const admin = bearer(tokens[tenant].admin);
      type Page = { items: { id: string; seq?: number }[]; nextCursor: string | null };
      const first = (await gw.http.get('/v1/audit').query({ limit: 2 }).set(admin)).body as Page;
      expect(first.items).toHaveLength(2);
      for (const item of first.items) expect(item.seq).toBeUndefined();
      expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const next = await gw.http
        .get('/v1/audit')
        .query({ limit: 2, cursor: first.nextCursor })
        .set(admin);
      expect(next.status).toBe(200);
      const second = (next.body as Page).items.map((i) => i.id);
      expect(second).toHaveLength(2);
      for (const id of second) expect(first.items.map((i) => i.id)).not.toContain(id);
      // Another tenant's cursor, a plain position and a tampered cursor are refused.
      const other = others[0] as TenantId;
      const theirs = (
        (await gw.http.get('/v1/audit').query({ limit: 1 }).set(bearer(tokens[other].admin)))
          .body as Page
      ).nextCursor as string;
      const flipped = `${theirs.slice(0, 5)}${theirs[5] === 'A' ? 'B' : 'A'}${theirs.slice(6)}`;
      for (const cursor of [theirs, '123', flipped]) {
        const res = await gw.http.get('/v1/audit').query({ cursor }).set(admin);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ field: 'cursor' });
      }
    });

    it("deletes its own record and leaves every other tenant's record with the same id", async () => {
      const res = await gw.http
        .post('/v1/vectors/delete')
        .set(bearer(tokens[tenant].writer))
        .send({ ids: ['doc-3'] });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ deleted: 1 });
      for (const other of others) {
        const remaining = await gw.http.get('/v1/vectors/doc-3').set(bearer(tokens[other].reader));
        // Tenants later in the list have not deleted their doc-3 yet; earlier ones have.
        const otherDeleted =
          TENANTS.findIndex((t) => t.id === other) < TENANTS.findIndex((t) => t.id === tenant);
        expect(remaining.status).toBe(otherDeleted ? 404 : 200);
        if (!otherDeleted) expect(remaining.body).toMatchObject({ metadata: { owner: other } });
      }
    });

    it("deleting by a filter on another tenant's metadata deletes nothing", async () => {
      const res = await gw.http
        .post('/v1/vectors/delete')
        .set(bearer(tokens[tenant].writer))
        .send({ filter: { owner: others[0] } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ deleted: 0 });
      const stats = await gw.http.get(`/v1/stats`).set(bearer(tokens[others[0] as TenantId].admin));
      expect((stats.body as { vectorCount: number }).vectorCount).toBeGreaterThanOrEqual(3);
    });

    it('refuses a platform token on the tenant plane (403)', async () => {
      const requestId = newRequestId();
      const res = await gw.http
        .post('/v1/search')
        .set({
          ...bearer(gw.tokens.platform(['platform_admin', 'auditor'])),
          'x-request-id': requestId,
        })
        .send({ vector: [0.1, 0.1, 0.1, 0.1], topK: 10 });
      expect(res.status).toBe(403);
      await expectAudited(gw, requestId, 403);
    });
  });
});
