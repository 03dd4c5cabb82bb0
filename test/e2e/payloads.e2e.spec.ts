import { expectAudited, newRequestId } from '../support/audit-trail';
import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/**
 * Payloads as applications write them, over HTTP on the embedded backend: LangChain's records
 * (page content longer than 4,096 characters in `text`, nested metadata flattened to dotted
 * keys) and Qdrant-style nested payloads, filtered by dotted fields and `$exists`; the
 * metadata limit of a tier; and the twin tenant, holding the same records, never answering.
 */
describe('payloads as applications write them', () => {
  let gw: TestGateway;
  let app: Record<string, string>;
  let twin: Record<string, string>;
  let small: Record<string, string>;
  const DIM = 4;
  const PAGE = 'Lorem ipsum dolor sit amet. '.repeat(400); // 11,200 characters

  const langchain = {
    id: 'lc-1',
    values: [1, 0, 0, 0],
    metadata: {
      text: PAGE,
      source: 'report.pdf',
      'loc.lines.from': 12,
      'loc.lines.to': 40,
      'pdf.totalPages': 9,
    },
  };
  const qdrantStyle = {
    id: 'qd-1',
    values: [0, 1, 0, 0],
    metadata: {
      page_content: 'short page',
      metadata: { source: 'notes.md', loc: { lines: { from: 3, to: 7 } }, tags: ['a', 'b'] },
    },
  };
  const both = {
    id: 'both-1',
    values: [0, 0, 1, 0],
    metadata: { 'loc.lines.from': '12', loc: { lines: { from: 12 } } },
  };
  const RECORDS = [langchain, qdrantStyle, both];

  beforeAll(async () => {
    gw = await startGateway({
      env: { TIER_QUOTAS: 'standard:metadata=2KB;default:vectors=1000000,bytes=4GB,metadata=40KB' },
    });
    for (const id of ['app', 'twin']) {
      await createTenant(gw.http, gw.tokens, {
        id,
        dimension: DIM,
        metric: 'cosine',
        tier: 'premium',
        backend: 'embedded',
        strategy: 'partition_key',
      });
    }
    await createTenant(gw.http, gw.tokens, {
      id: 'small',
      tier: 'standard',
      dimension: DIM,
      metric: 'cosine',
    });
    app = bearer(gw.tokens.tenant('app', ['reader', 'writer']));
    twin = bearer(gw.tokens.tenant('twin', ['reader', 'writer']));
    small = bearer(gw.tokens.tenant('small', ['reader', 'writer']));
    const put = await gw.http.put('/v1/vectors').set(app).send({ vectors: RECORDS });
    expect(put.status).toBe(200);
  });
  afterAll(() => gw.close(true));

  async function matches(
    auth: Record<string, string>,
    filter: Record<string, unknown>,
  ): Promise<string[]> {
    const res = await gw.http
      .post('/v1/search')
      .set(auth)
      .send({ vector: [1, 1, 1, 1], topK: 10, filter });
    expect(res.status).toBe(200);
    return (res.body as { matches: { id: string }[] }).matches.map((m) => m.id).sort();
  }

  it('stores page content longer than 4,096 characters and dotted keys, and reads them back', async () => {
    const res = await gw.http.get('/v1/vectors/lc-1').set(app);
    expect(res.status).toBe(200);
    expect((res.body as { metadata: unknown }).metadata).toEqual(langchain.metadata);
    expect(PAGE.length).toBeGreaterThan(4096);
    const nested = await gw.http.get('/v1/vectors/qd-1').set(app);
    expect((nested.body as { metadata: unknown }).metadata).toEqual(qdrantStyle.metadata);
  });

  it('filters on a literal dotted key, as LangChain writes for Pinecone', async () => {
    expect(await matches(app, { 'loc.lines.from': 12 })).toEqual(['lc-1']);
    expect(await matches(app, { 'loc.lines.to': { $gte: 40 } })).toEqual(['lc-1']);
  });

  it('filters on a nested path, as Qdrant clients address payloads', async () => {
    expect(await matches(app, { 'metadata.source': 'notes.md' })).toEqual(['qd-1']);
    expect(await matches(app, { 'metadata.loc.lines.from': { $lt: 5 } })).toEqual(['qd-1']);
    expect(await matches(app, { 'metadata.tags': { $in: ['b'] } })).toEqual(['qd-1']);
  });

  it('reads the literal dotted key when a record has both it and the nested path', async () => {
    expect(await matches(app, { 'loc.lines.from': '12' })).toEqual(['both-1']);
    expect(await matches(app, { 'loc.lines.from': { $in: [12, 3] } })).toEqual(['lc-1']);
  });

  it('tests existence with $exists; $exists: false is the one test a missing field passes', async () => {
    expect(await matches(app, { 'metadata.source': { $exists: true } })).toEqual(['qd-1']);
    expect(await matches(app, { 'metadata.source': { $exists: false } })).toEqual(
      ['both-1', 'lc-1'].sort(),
    );
    expect(await matches(app, { 'metadata.source': { $ne: 'x' } })).toEqual(['qd-1']);
    // An object is no value a filter tests: it does not exist for $exists either.
    expect(await matches(app, { metadata: { $exists: true } })).toEqual([]);
    expect(await matches(app, { text: { $exists: true }, 'pdf.totalPages': 9 })).toEqual(['lc-1']);
  });

  it("never answers another tenant's records, whatever dotted field or $exists it asks", async () => {
    expect(await matches(twin, { 'loc.lines.from': 12 })).toEqual([]);
    expect(await matches(twin, { 'metadata.source': { $exists: true } })).toEqual([]);
    expect(await matches(twin, { 'metadata.source': { $exists: false } })).toEqual([]);
    expect((await gw.http.get('/v1/vectors/lc-1').set(twin)).status).toBe(404);
  });

  it('refuses a reserved name in any segment of a filter field as a bypass attempt, and audits it', async () => {
    const requestId = newRequestId();
    const res = await gw.http
      .post('/v1/search')
      .set({ ...app, 'x-request-id': requestId })
      .send({ vector: [1, 1, 1, 1], topK: 3, filter: { 'metadata.tenant_id': 'twin' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ reason: 'tenant_bypass_attempt' });
    await expectAudited(gw, requestId, 400);
  });

  it("answers 413 naming the tier's metadata limit and the field, and writes nothing", async () => {
    const res = await gw.http
      .put('/v1/vectors')
      .set(small)
      .send({
        vectors: [
          { id: 'ok', values: [1, 0, 0, 0] },
          { id: 'big', values: [0, 1, 0, 0], metadata: { text: 'x'.repeat(3000) } },
        ],
      });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ field: 'vectors[1].metadata' });
    expect((res.body as { detail: string }).detail).toContain('2048 bytes');
    expect((res.body as { detail: string }).detail).toContain('tier "standard"');
    expect((await gw.http.get('/v1/vectors/ok').set(small)).status).toBe(404);
    // The default tier takes the same record.
    const fits = await gw.http
      .put('/v1/vectors')
      .set(twin)
      .send({
        vectors: [{ id: 'big', values: [0, 1, 0, 0], metadata: { text: 'x'.repeat(3000) } }],
      });
    expect(fits.status).toBe(200);
  });
});
