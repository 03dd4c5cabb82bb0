import { Client } from 'pg';
import { createTenant, vectorFor } from '../support/fixtures';
import { connectPglite, LivePglite, PGLITE_DATA_ROLE, startPglite } from '../support/pglite';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/**
 * The whole gateway over HTTP with every tier on pgvector (PGlite in a child process): what a
 * client sees, its cross-tenant twin, refusals as problem+json, and a deletion that leaves
 * nothing of the tenant in PostgreSQL.
 */

jest.setTimeout(120_000);

const TIERS = [
  ['collection', 'enterprise'],
  ['partition', 'premium'],
  ['partition_key', 'standard'],
] as const;

let pglite: LivePglite;
let gw: TestGateway;
const uids = new Map<string, string>();

beforeAll(async () => {
  pglite = await startPglite();
  gw = await startGateway({
    env: {
      PGVECTOR_URL: pglite.url,
      PGVECTOR_POOL_SIZE: '1',
      PGVECTOR_DATA_ROLE: PGLITE_DATA_ROLE,
      PLACEMENT_POLICY: TIERS.map(([s, tier]) => `${tier}=pgvector:${s}`).join(','),
    },
  });
  for (const [, tier] of TIERS) {
    for (const who of ['acme', 'globex']) {
      const id = `${who}-${tier}`;
      const created = await createTenant(gw.http, gw.tokens, {
        id,
        tier,
        dimension: 8,
        metric: 'cosine',
      });
      uids.set(id, (created as { uid?: string }).uid ?? '');
    }
  }
});

let closed = false;

afterAll(async () => {
  if (!closed) await gw?.close(true);
  await pglite?.stop();
});

describe.each(TIERS)('pgvector %s over HTTP', (strategy, tier) => {
  const acme = `acme-${tier}`;
  const globex = `globex-${tier}`;
  const token = (id: string) => bearer(gw.tokens.tenant(id, ['reader', 'writer', 'tenant_admin']));

  it("serves a tenant its own records, and never another tenant's", async () => {
    const put = await gw.http
      .put('/v1/vectors')
      .set(token(acme))
      .send({
        vectors: [0, 1, 2].map((i) => ({
          id: `doc-${i}`,
          values: vectorFor(i, 8),
          metadata: { owner: 'acme', i },
        })),
      });
    expect(put.status).toBe(200);
    const own = await gw.http
      .post('/v1/search')
      .set(token(acme))
      .send({
        vector: vectorFor(1, 8),
        topK: 10,
        includeMetadata: true,
        filter: { i: { $gte: 1 } },
      });
    expect(own.status).toBe(200);
    expect((own.body as { matches: { id: string }[] }).matches.map((m) => m.id)).toEqual([
      'doc-1',
      'doc-2',
    ]);
    const stats = await gw.http.get('/v1/stats').set(token(acme));
    expect(stats.body).toMatchObject({ strategy, dimension: 8 });

    const theirs = await gw.http
      .post('/v1/search')
      .set(token(globex))
      .send({ vector: vectorFor(1, 8), topK: 10, includeMetadata: true });
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual({ matches: [] });
    expect((await gw.http.get('/v1/vectors/doc-1').set(token(globex))).status).toBe(404);
    const deleted = await gw.http
      .post('/v1/vectors/delete')
      .set(token(globex))
      .send({ ids: ['doc-0'] });
    expect(deleted.status).toBe(200);
    expect((await gw.http.get('/v1/vectors/doc-0').set(token(acme))).status).toBe(200);
  });

  it('refuses metadata PostgreSQL cannot store with a 422 naming the field, writing nothing of the batch', async () => {
    const res = await gw.http
      .put('/v1/vectors')
      .set(token(globex))
      .send({
        vectors: [
          { id: 'fine', values: vectorFor(3, 8) },
          { id: 'nul', values: vectorFor(4, 8), metadata: { note: 'a\u0000b' } },
        ],
      });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ field: 'vectors[1].metadata.note' });
    expect((await gw.http.get('/v1/vectors/fine').set(token(globex))).status).toBe(404);
  });

  it('stores LangChain and Qdrant-style payloads and filters them by dotted field and $exists', async () => {
    const page = 'Page content. '.repeat(600);
    const put = await gw.http
      .put('/v1/vectors')
      .set(token(acme))
      .send({
        vectors: [
          {
            id: 'lc',
            values: vectorFor(5, 8),
            metadata: { text: page, 'loc.lines.from': 4 },
          },
          {
            id: 'qd',
            values: vectorFor(6, 8),
            metadata: { metadata: { source: 'a.md', loc: { lines: { from: 9 } } } },
          },
        ],
      });
    expect(put.status).toBe(200);
    const ids = async (who: string, filter: object) =>
      (
        (
          await gw.http
            .post('/v1/search')
            .set(token(who))
            .send({ vector: vectorFor(5, 8), topK: 50, filter })
        ).body as { matches: { id: string }[] }
      ).matches
        .map((m) => m.id)
        .sort();
    expect(await ids(acme, { 'loc.lines.from': 4 })).toEqual(['lc']);
    expect(await ids(acme, { 'metadata.loc.lines.from': { $gt: 5 } })).toEqual(['qd']);
    expect(await ids(acme, { 'metadata.source': { $exists: true } })).toEqual(['qd']);
    expect(await ids(acme, { text: { $exists: true } })).toEqual(['lc']);
    const fetched = await gw.http.get('/v1/vectors/lc').set(token(acme));
    expect((fetched.body as { metadata: { text: string } }).metadata.text).toBe(page);
    // The twin holds none of them, whatever the filter.
    expect(await ids(globex, { 'metadata.source': { $exists: true } })).toEqual([]);
    expect(await ids(globex, { 'loc.lines.from': 4 })).toEqual([]);
  });
});

describe('pgvector tenants at creation and deletion', () => {
  it('refuses a dimension pgvector cannot index with 422 naming it, creating nothing', async () => {
    const res = await gw.http
      .post('/v1/admin/tenants')
      .set(bearer(gw.tokens.platform()))
      .send({ id: 'too-wide', tier: 'standard', dimension: 3000, metric: 'cosine' });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/at most 2000 dimensions/);
    expect(
      (await gw.http.get('/v1/admin/tenants/too-wide').set(bearer(gw.tokens.platform()))).status,
    ).toBe(404);
  });

  it('a deleted tenant leaves no table, partition or row in PostgreSQL; its neighbours stay', async () => {
    for (const [, tier] of TIERS) {
      const res = await gw.http
        .delete(`/v1/admin/tenants/acme-${tier}`)
        .set(bearer(gw.tokens.platform()));
      expect(res.status).toBe(204);
    }
    // PGlite serves one connection: the gateway lets it go before the raw check takes it.
    await gw.close(true);
    closed = true;
    const client: Client = await connectPglite(pglite.url);
    try {
      for (const [, tier] of TIERS) {
        const uid = uids.get(`acme-${tier}`)!;
        const neighbour = uids.get(`globex-${tier}`)!;
        expect(uid).toMatch(/^[0-9a-f]{32}$/);
        const tables = await client.query(
          `SELECT relname FROM pg_class WHERE relname LIKE '%' || $1 || '%'`,
          [uid],
        );
        expect(tables.rows).toEqual([]);
        const rows = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM vg_shared_8_cosine WHERE _vg_tenant = $1`,
          [uid],
        );
        expect(rows.rows[0]!.n).toBe('0');
        const kept = await client.query(
          `SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relname LIKE '%' || $1`,
          [neighbour],
        );
        expect(kept.rows.length).toBe(tier === 'standard' ? 0 : 1);
      }
    } finally {
      await client.end();
    }
  });
});
