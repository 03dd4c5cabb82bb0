import { Errors, Pinecone } from '@pinecone-database/pinecone';
import {
  IndexListFromJSON,
  IndexModelFromJSON,
} from '@pinecone-database/pinecone/dist/pinecone-generated-ts-fetch/db_control';
import {
  FetchResponseFromJSON,
  IndexDescriptionFromJSON,
  QueryResponseFromJSON,
} from '@pinecone-database/pinecone/dist/pinecone-generated-ts-fetch/db_data';
import { bearer } from '../support/tokens';
import {
  auditedAs,
  keyFor,
  ListeningGateway,
  startListening,
  tenantWithKey,
} from './pinecone-support';

const { PineconeBadRequestError, PineconeConflictError, PineconeNotFoundError } = Errors;

const SPEC = { serverless: { cloud: 'aws' as const, region: 'us-east-1' } };

describe('Pinecone API dialect with the Pinecone SDK 8', () => {
  let lg: ListeningGateway;
  let acme: Pinecone;
  let globex: Pinecone;
  let acmeKey: string;

  const client = (apiKey: string): Pinecone =>
    new Pinecone({ apiKey, controllerHostUrl: `${lg.base}/pinecone`, maxRetries: 3 });

  beforeAll(async () => {
    lg = await startListening();
    acmeKey = await tenantWithKey(lg.gw, { id: 'acme', dimension: 4, metric: 'cosine' });
    const globexKey = await tenantWithKey(lg.gw, { id: 'globex', dimension: 4, metric: 'cosine' });
    acme = client(acmeKey);
    globex = client(globexKey);
    for (const pc of [acme, globex])
      await pc.createIndex({ name: 'docs', dimension: 4, metric: 'cosine', spec: SPEC });
  }, 60_000);

  afterAll(async () => {
    await lg?.gw.close(true);
  });

  it('describes an index with a host built from the listening address, never the Host header', async () => {
    const described = await acme.describeIndex('docs');
    expect(described).toMatchObject({ name: 'docs', dimension: 4, metric: 'cosine' });
    expect(described.host).toBe(`${lg.base}/pinecone/data/docs`);
    const raw = await fetch(`${lg.base}/pinecone/indexes/docs`, {
      headers: { 'api-key': acmeKey, 'x-forwarded-host': 'evil.example', host: 'evil.example' },
    });
    const model = IndexModelFromJSON(await raw.json());
    expect(model.host).toBe(`${lg.base}/pinecone/data/docs`);
    expect(model.status).toEqual({ ready: true, state: 'Ready' });
  });

  it('is reached from PINECONE_API_KEY and PINECONE_CONTROLLER_HOST alone', async () => {
    const saved = { ...process.env };
    process.env.PINECONE_API_KEY = acmeKey;
    process.env.PINECONE_CONTROLLER_HOST = `${lg.base}/pinecone`;
    try {
      const fromEnv = new Pinecone();
      expect((await fromEnv.describeIndex('docs')).host).toBe(`${lg.base}/pinecone/data/docs`);
      const stats = await fromEnv.index({ name: 'docs' }).describeIndexStats();
      expect(stats.dimension).toBe(4);
    } finally {
      process.env = saved;
    }
  });

  it('lists only the calling tenant’s indexes', async () => {
    await acme.createIndex({ name: 'acme-only', dimension: 4, metric: 'cosine', spec: SPEC });
    const own = await acme.listIndexes();
    const other = await globex.listIndexes();
    expect(own.indexes?.map((i) => i.name).sort()).toEqual(['acme-only', 'docs']);
    expect(other.indexes?.map((i) => i.name)).toEqual(['docs']);
    const raw = await fetch(`${lg.base}/pinecone/indexes`, { headers: { 'api-key': acmeKey } });
    expect(IndexListFromJSON(await raw.json()).indexes).toHaveLength(2);
    await acme.deleteIndex('acme-only');
    await expect(acme.describeIndex('acme-only')).rejects.toBeInstanceOf(PineconeNotFoundError);
  });

  it('answers a second createIndex with 409 ALREADY_EXISTS, and suppressConflicts accepts it', async () => {
    await expect(
      acme.createIndex({ name: 'docs', dimension: 4, metric: 'cosine', spec: SPEC }),
    ).rejects.toBeInstanceOf(PineconeConflictError);
    await acme.createIndex({
      name: 'docs',
      dimension: 4,
      metric: 'cosine',
      spec: SPEC,
      suppressConflicts: true,
    });
    const raw = await fetch(`${lg.base}/pinecone/indexes`, {
      method: 'POST',
      headers: { 'api-key': acmeKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'docs', dimension: 4, metric: 'cosine', spec: SPEC }),
    });
    expect(raw.status).toBe(409);
    expect(await raw.json()).toEqual({
      error: { code: 'ALREADY_EXISTS', message: 'index "docs" already exists' },
      status: 409,
    });
  });

  it('refuses an index of another dimension with 400 in Pinecone’s shape, without a retry', async () => {
    const before = (await auditedAs(lg.gw, 'pinecone.create_index')).length;
    lg.resetCount();
    await expect(
      acme.createIndex({ name: 'wide', dimension: 8, metric: 'cosine', spec: SPEC }),
    ).rejects.toThrow('dimension: dimension must be this tenant');
    expect(lg.requestsTo('/pinecone/indexes')).toBe(1);
    const after = await auditedAs(lg.gw, 'pinecone.create_index');
    expect(after).toHaveLength(before + 1);
    expect(after[0]).toMatchObject({ status: 400, outcome: 'denied', tenantId: 'acme' });
    await expect(acme.describeIndex('wide')).rejects.toBeInstanceOf(PineconeNotFoundError);
  });

  it('writes, queries with a filter, fetches, updates and deletes within one index', async () => {
    const index = acme.index({ name: 'docs' });
    await index.upsert({
      records: [
        { id: 'a', values: [1, 0, 0, 0], metadata: { genre: 'drama', year: 2020 } },
        { id: 'b', values: [0.9, 0.1, 0, 0], metadata: { genre: 'comedy', year: 2021 } },
        { id: 'c', values: [0, 1, 0, 0], metadata: { genre: 'drama', tags: ['x', 'y'] } },
      ],
    });
    const found = await index.query({
      vector: [1, 0, 0, 0],
      topK: 3,
      filter: { genre: { $eq: 'drama' } },
      includeMetadata: true,
    });
    expect(found.matches.map((m) => m.id)).toEqual(['a', 'c']);
    expect(found.matches[0]?.score).toBeCloseTo(1, 5);
    expect(found.matches[0]?.metadata).toEqual({ genre: 'drama', year: 2020 });
    const byRange = await index.query({
      vector: [1, 0, 0, 0],
      topK: 3,
      filter: { $or: [{ year: { $gte: 2021 } }, { tags: { $in: ['y'] } }] },
    });
    expect(byRange.matches.map((m) => m.id).sort()).toEqual(['b', 'c']);
    const fetched = await index.fetch({ ids: ['a', 'b', 'missing'] });
    expect(Object.keys(fetched.records).sort()).toEqual(['a', 'b']);
    expect((await auditedAs(lg.gw, 'pinecone.upsert'))[0]).toMatchObject({
      resource: 'POST /pinecone/data/docs/vectors/upsert',
      resultCount: 3,
    });
    expect((await auditedAs(lg.gw, 'pinecone.fetch'))[0]).toMatchObject({ resultCount: 2 });
    expect(fetched.records.a?.values).toEqual([1, 0, 0, 0]);
    await index.update({ id: 'a', metadata: { year: 2024 } });
    const updated = await index.fetch({ ids: ['a'] });
    expect(updated.records.a?.metadata).toEqual({ genre: 'drama', year: 2024 });
    await index.deleteOne({ id: 'b' });
    await index.deleteMany({ filter: { genre: { $eq: 'drama' } } });
    const stats = await index.describeIndexStats();
    expect(stats.totalRecordCount).toBe(0);
  });

  it('keeps Pinecone namespaces separate, and shows them as vecgate namespaces of the tenant', async () => {
    const index = acme.index({ name: 'docs' });
    await index.namespace('team-a').upsert({ records: [{ id: 'n1', values: [1, 1, 0, 0] }] });
    await index.upsert({ records: [{ id: 'n1', values: [0, 0, 1, 1] }] });
    const inA = await index.namespace('team-a').fetch({ ids: ['n1'] });
    const inDefault = await index.fetch({ ids: ['n1'] });
    expect(inA.records.n1?.values).toEqual([1, 1, 0, 0]);
    expect(inDefault.records.n1?.values).toEqual([0, 0, 1, 1]);
    const stats = await index.describeIndexStats();
    expect(stats.namespaces).toEqual({
      __default__: { recordCount: 1 },
      'team-a': { recordCount: 1 },
    });
    const v1 = await lg.gw.http.get('/v1/namespaces').set({ 'api-key': acmeKey });
    const names = (v1.body as { items: { name: string; vectors: number }[] }).items;
    expect(names).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'docs', vectors: 1 }),
        expect.objectContaining({ name: 'docs:team-a', vectors: 1 }),
      ]),
    );
    await index.deleteNamespace('team-a');
    await index.deleteAll();
    expect((await index.describeIndexStats()).namespaces).toEqual({});
  });

  it('creates, lists, describes and deletes Pinecone namespaces of one index only', async () => {
    const index = acme.index({ name: 'docs' });
    await index.createNamespace({ name: 'made' });
    await expect(index.createNamespace({ name: 'made' })).rejects.toBeInstanceOf(
      PineconeConflictError,
    );
    await index.namespace('filled').upsert({ records: [{ id: 'f', values: [1, 0, 0, 1] }] });
    const listed = await index.listNamespaces();
    expect(listed.namespaces?.map((n) => [n.name, n.recordCount])).toEqual([
      ['filled', 1],
      ['made', 0],
    ]);
    expect((await globex.index({ name: 'docs' }).listNamespaces()).namespaces).toEqual([]);
    expect(await index.describeNamespace('filled')).toMatchObject({
      name: 'filled',
      recordCount: 1,
    });
    await expect(globex.index({ name: 'docs' }).describeNamespace('filled')).rejects.toBeInstanceOf(
      PineconeNotFoundError,
    );
    await index.deleteNamespace('filled');
    await index.deleteNamespace('made');
    await expect(index.describeNamespace('filled')).rejects.toBeInstanceOf(PineconeNotFoundError);
    const events = await auditedAs(lg.gw, 'pinecone.delete_namespace');
    expect(events[0]?.resource).toBe('DELETE /pinecone/data/docs/namespaces/:namespace');
  });

  it('lists namespaces page by page with a prefix, in Pinecone’s order, as the SDK asks', async () => {
    await acme.createIndex({ name: 'paged', dimension: 4, metric: 'cosine', spec: SPEC });
    const index = acme.index({ name: 'paged' });
    const names = ['team-b', 'team-a', 'Team-c', 'solo', 'team-d', 'team-e'];
    for (const name of names) await index.createNamespace({ name });
    await index.upsert({ records: [{ id: 'd', values: [1, 0, 0, 0] }] });
    const walked: string[] = [];
    const totals: (number | undefined)[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await index.listNamespaces({
        prefix: 'team-',
        limit: 2,
        paginationToken: token,
      });
      walked.push(...(page.namespaces ?? []).map((n) => n.name ?? ''));
      totals.push(page.totalCount);
      token = page.pagination?.next;
      pages++;
    } while (token && pages < 10);
    expect(walked).toEqual(['team-a', 'team-b', 'team-d', 'team-e']);
    expect([pages, new Set(totals)]).toEqual([2, new Set([4])]);
    // Bytewise, as Pinecone sorts: upper case, then `_`, then lower case.
    const all = await index.listNamespaces();
    expect(all.namespaces?.map((n) => n.name)).toEqual([
      'Team-c',
      '__default__',
      'solo',
      'team-a',
      'team-b',
      'team-d',
      'team-e',
    ]);
    expect([all.totalCount, all.pagination]).toEqual([7, undefined]);
    // A token is the index’s and the tenant’s: another index’s listing refuses it.
    const first = await index.listNamespaces({ limit: 1 });
    await expect(
      acme.index({ name: 'docs' }).listNamespaces({ paginationToken: first.pagination?.next }),
    ).rejects.toThrow(/paginationToken/);
    await expect(index.listNamespaces({ limit: 0 })).rejects.toThrow(/limit/);
    await acme.deleteIndex('paged');
  });

  it('lists ids page by page with a prefix, within one tenant’s namespace', async () => {
    const index = acme.index({ name: 'docs' });
    const records = Array.from({ length: 7 }, (_, i) => ({
      id: `doc#${i}`,
      values: [1, i, 0, 0],
    }));
    await index.upsert({ records: [...records, { id: 'other', values: [0, 0, 1, 0] }] });
    await globex
      .index({ name: 'docs' })
      .upsert({ records: [{ id: 'doc#g', values: [1, 0, 0, 0] }] });
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await index.listPaginated({ prefix: 'doc#', limit: 3, paginationToken: token });
      ids.push(...(page.vectors ?? []).map((v) => v.id ?? ''));
      token = page.pagination?.next;
      pages++;
    } while (token && pages < 10);
    expect(ids).toEqual(records.map((r) => r.id));
    expect(pages).toBeGreaterThanOrEqual(3);
    const first = await index.listPaginated({ limit: 2 });
    await expect(
      globex.index({ name: 'docs' }).listPaginated({ paginationToken: first.pagination?.next }),
    ).rejects.toBeInstanceOf(PineconeBadRequestError);
    await index.deleteAll();
    await globex.index({ name: 'docs' }).deleteAll();
  });

  it('answers in the data plane’s JSON, which the SDK’s own converters read', async () => {
    const index = acme.index({ name: 'docs' });
    await index.upsert({ records: [{ id: 'j', values: [1, 0, 0, 0], metadata: { k: 'v' } }] });
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${lg.base}/pinecone/data/docs/${path}`, {
        method: 'POST',
        headers: { 'api-key': acmeKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const query = QueryResponseFromJSON(
      await (await post('query', { vector: [1, 0, 0, 0], topK: 1, includeMetadata: true })).json(),
    );
    expect(query.matches?.[0]).toMatchObject({ id: 'j', metadata: { k: 'v' } });
    const stats = IndexDescriptionFromJSON(await (await post('describe_index_stats', {})).json());
    expect(stats).toMatchObject({ dimension: 4, metric: 'cosine', totalVectorCount: 1 });
    const fetched = FetchResponseFromJSON(
      await (
        await fetch(`${lg.base}/pinecone/data/docs/vectors/fetch?ids=j&namespace=`, {
          headers: { 'api-key': acmeKey },
        })
      ).json(),
    );
    expect(fetched.vectors?.j?.values).toEqual([1, 0, 0, 0]);
    const refused = await post('query', { vector: [1, 0], topK: 1 });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 3, details: [] });
    await index.deleteAll();
  });

  it('streams a large fetch answer a record at a time, whole and parseable', async () => {
    const index = acme.index({ name: 'docs' });
    const text = 'page content '.repeat(700);
    const records = Array.from({ length: 40 }, (_, i) => ({
      id: `big-${i}`,
      values: [1, i, 0, 0],
      metadata: { text, n: i },
    }));
    await index.upsert({ records });
    const fetched = await index.fetch({ ids: records.map((r) => r.id) });
    expect(Object.keys(fetched.records)).toHaveLength(40);
    expect(fetched.records['big-39']?.metadata).toEqual({ text, n: 39 });
    const raw = await fetch(
      `${lg.base}/pinecone/data/docs/vectors/fetch?${records.map((r) => `ids=${r.id}`).join('&')}`,
      { headers: { 'api-key': acmeKey } },
    );
    expect(raw.headers.get('content-type')).toMatch(/application\/json/);
    expect(raw.headers.get('transfer-encoding')).toBe('chunked');
    const parsed = FetchResponseFromJSON(await raw.json());
    expect(parsed.vectors?.['big-7']?.values).toEqual([1, 7, 0, 0]);
    expect(parsed.usage).toEqual({ readUnits: 1 });
    expect((await auditedAs(lg.gw, 'pinecone.fetch'))[0]).toMatchObject({ resultCount: 40 });
    await index.deleteAll();
  });

  it('never shows one tenant the records of another using the same index name and ids', async () => {
    await acme.index({ name: 'docs' }).upsert({
      records: [{ id: 'same', values: [1, 0, 0, 0], metadata: { owner: 'acme' } }],
    });
    await globex.index({ name: 'docs' }).upsert({
      records: [{ id: 'same', values: [1, 0, 0, 0], metadata: { owner: 'globex' } }],
    });
    const seen = await globex
      .index({ name: 'docs' })
      .query({ vector: [1, 0, 0, 0], topK: 10, includeMetadata: true });
    expect(seen.matches.map((m) => m.metadata)).toEqual([{ owner: 'globex' }]);
    const fetched = await acme.index({ name: 'docs' }).fetch({ ids: ['same'] });
    expect(fetched.records.same?.metadata).toEqual({ owner: 'acme' });
    await globex.index({ name: 'docs' }).deleteAll();
    expect((await acme.index({ name: 'docs' }).describeIndexStats()).totalRecordCount).toBe(1);
    await acme.index({ name: 'docs' }).deleteAll();
  });

  it('refuses cross-tenant tricks with a 4xx the SDK does not retry, and audits each', async () => {
    const index = acme.index({ name: 'docs' });
    lg.resetCount();
    await expect(
      index.query({ vector: [1, 0, 0, 0], topK: 1, filter: { _vg_tenant: { $eq: 'x' } } }),
    ).rejects.toBeInstanceOf(PineconeBadRequestError);
    expect(lg.requestsTo('/pinecone/data/docs/query')).toBe(1);
    await expect(
      index.upsert({
        records: [{ id: 'z', values: [1, 0, 0, 0], metadata: { tenant_id: 'globex' } }],
      }),
    ).rejects.toBeInstanceOf(PineconeBadRequestError);
    await expect(index.namespace('_vg').fetch({ ids: ['z'] })).rejects.toBeInstanceOf(
      PineconeBadRequestError,
    );
    const spoofing = new Pinecone({
      apiKey: acmeKey,
      controllerHostUrl: `${lg.base}/pinecone`,
    }).index({ name: 'docs', additionalHeaders: { 'X-Tenant-Id': 'globex' } });
    await expect(spoofing.query({ vector: [1, 0, 0, 0], topK: 1 })).rejects.toBeInstanceOf(
      PineconeBadRequestError,
    );
    // Another tenant's index name is just a name: globex has no index "acme-private".
    await acme.createIndex({ name: 'acme-private', dimension: 4, metric: 'cosine', spec: SPEC });
    await acme
      .index({ name: 'acme-private' })
      .upsert({ records: [{ id: 'p', values: [1, 0, 0, 0] }] });
    await expect(globex.describeIndex('acme-private')).rejects.toBeInstanceOf(
      PineconeNotFoundError,
    );
    const direct = globex.index({
      name: 'acme-private',
      host: `${lg.base}/pinecone/data/acme-private`,
    });
    await expect(direct.fetch({ ids: ['p'] })).rejects.toBeInstanceOf(PineconeNotFoundError);
    // Two indexes of one tenant hold separate records.
    expect((await acme.index({ name: 'docs' }).fetch({ ids: ['p'] })).records).toEqual({});
    expect(
      Object.keys((await acme.index({ name: 'acme-private' }).fetch({ ids: ['p'] })).records),
    ).toEqual(['p']);
    await acme.deleteIndex('acme-private');
    const events = await auditedAs(lg.gw, 'pinecone.query');
    const bypass = events.filter((e) => e.reason?.startsWith('tenant_bypass_attempt'));
    expect(bypass.length).toBeGreaterThanOrEqual(2);
    expect(bypass.every((e) => e.status === 400 && e.outcome === 'denied')).toBe(true);
    expect(bypass.every((e) => e.severity === 'alert' && e.tenantId === 'acme')).toBe(true);
  });

  it('refuses a caller without the role and an unknown key in Pinecone’s shape', async () => {
    const reader = client(await keyFor(lg.gw, 'acme', ['reader']));
    await expect(
      reader.index({ name: 'docs' }).upsert({ records: [{ id: 'r', values: [1, 0, 0, 0] }] }),
    ).rejects.toThrow('requires one of the roles: writer');
    const raw = await fetch(`${lg.base}/pinecone/indexes/docs`, {
      headers: { 'api-key': 'vgk_bogus' },
    });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' }, status: 401 });
    const bearerCall = await fetch(`${lg.base}/pinecone/indexes/docs`, {
      headers: bearer(lg.gw.tokens.tenant('acme', ['reader'])),
    });
    expect(bearerCall.status).toBe(200);
    const events = await auditedAs(lg.gw, 'pinecone.upsert');
    expect(events.some((e) => e.status === 403 && e.resource.includes('/pinecone/data/'))).toBe(
      true,
    );
  });
});

describe('Pinecone dialect on a tight gateway: euclidean scores, quotas, body limit', () => {
  let lg: ListeningGateway;

  beforeAll(async () => {
    lg = await startListening({
      TIER_QUOTAS: 'default:vectors=unlimited,namespaces=1',
      MAX_BODY_BYTES: '4096',
    });
  }, 60_000);

  afterAll(async () => {
    await lg?.gw.close(true);
  });

  it('reports the squared distance, closest first, as Pinecone does', async () => {
    const key = await tenantWithKey(lg.gw, { id: 'geo', dimension: 2, metric: 'euclidean' });
    const pc = new Pinecone({ apiKey: key, controllerHostUrl: `${lg.base}/pinecone` });
    await pc.createIndex({ name: 'points', dimension: 2, metric: 'euclidean', spec: SPEC });
    const index = pc.index({ name: 'points' });
    await index.upsert({
      records: [
        { id: 'near', values: [1, 1] },
        { id: 'far', values: [4, 5] },
      ],
    });
    const found = await index.query({ vector: [1, 2], topK: 2 });
    expect(found.matches.map((m) => m.id)).toEqual(['near', 'far']);
    expect(found.matches[0]?.score).toBeCloseTo(1, 4);
    expect(found.matches[1]?.score).toBeCloseTo(9 + 9, 4);
  });

  it('counts each index and Pinecone namespace as a namespace, and answers 403 QUOTA_EXCEEDED past it', async () => {
    const key = await tenantWithKey(lg.gw, { id: 'small', dimension: 2, metric: 'cosine' });
    const pc = new Pinecone({ apiKey: key, controllerHostUrl: `${lg.base}/pinecone` });
    await pc.createIndex({ name: 'one', dimension: 2, metric: 'cosine', spec: SPEC });
    lg.resetCount();
    await expect(
      pc.createIndex({ name: 'two', dimension: 2, metric: 'cosine', spec: SPEC }),
    ).rejects.toThrow(/QUOTA_EXCEEDED/);
    expect(lg.requestsTo('/pinecone/indexes')).toBe(1);
    await expect(
      pc
        .index({ name: 'one' })
        .namespace('extra')
        .upsert({ records: [{ id: 'a', values: [1, 0] }] }),
    ).rejects.toThrow(/would pass this tenant's quota of 1 namespaces/);
    await pc.index({ name: 'one' }).upsert({ records: [{ id: 'a', values: [1, 0] }] });
    expect((await pc.index({ name: 'one' }).describeIndexStats()).totalRecordCount).toBe(1);
  });

  it('refuses a body over the limit with 400 in the data plane’s shape, as Pinecone does, without a retry', async () => {
    const key = await tenantWithKey(lg.gw, { id: 'bulky', dimension: 2, metric: 'cosine' });
    const pc = new Pinecone({ apiKey: key, controllerHostUrl: `${lg.base}/pinecone` });
    await pc.createIndex({ name: 'big', dimension: 2, metric: 'cosine', spec: SPEC });
    lg.resetCount();
    const text = 'x'.repeat(8192);
    await expect(
      pc
        .index({ name: 'big' })
        .upsert({ records: [{ id: 'a', values: [1, 0], metadata: { text } }] }),
    ).rejects.toThrow(PineconeBadRequestError);
    expect(lg.requestsTo('/pinecone/data/big/vectors/upsert')).toBe(1);
    const raw = await fetch(`${lg.base}/pinecone/data/big/vectors/upsert`, {
      method: 'POST',
      headers: { 'api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ vectors: [{ id: 'a', values: [1, 0], metadata: { text } }] }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ code: 3, details: [] });
    const events = await auditedAs(lg.gw, 'pinecone.upsert');
    expect(events[0]).toMatchObject({ status: 400, outcome: 'denied' });
  });

  it('bounds a fetch by the answer’s float budget, as a search with values is', async () => {
    const key = await tenantWithKey(lg.gw, { id: 'wide', dimension: 4096, metric: 'cosine' });
    const pc = new Pinecone({ apiKey: key, controllerHostUrl: `${lg.base}/pinecone` });
    await pc.createIndex({ name: 'w', dimension: 4096, metric: 'cosine', spec: SPEC });
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `id-${i}`);
    // 262,144 floats at dimension 4,096: 64 records.
    await expect(pc.index({ name: 'w' }).fetch({ ids: ids(64) })).resolves.toMatchObject({
      records: {},
    });
    lg.resetCount();
    await expect(pc.index({ name: 'w' }).fetch({ ids: ids(65) })).rejects.toThrow(
      /ids is at most 64/,
    );
    expect(lg.requestsTo('/pinecone/data/w/vectors/fetch')).toBe(1);
  });
});

describe('Pinecone dialect under a per-tenant rate limit', () => {
  let lg: ListeningGateway;

  beforeAll(async () => {
    lg = await startListening({ RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '3' });
  }, 60_000);

  afterAll(async () => {
    await lg?.gw.close(true);
  });

  it('answers 429 with Retry-After in the data plane’s shape, which the SDK does not retry', async () => {
    const key = await tenantWithKey(lg.gw, { id: 'busy', dimension: 2, metric: 'cosine' });
    const post = (): Promise<Response> =>
      fetch(`${lg.base}/pinecone/data/any/describe_index_stats`, {
        method: 'POST',
        headers: { 'api-key': key, 'content-type': 'application/json' },
        body: '{}',
      });
    // Ten at once: past a burst of 3 at 1 per second, whatever the machine's speed.
    const answers = await Promise.all(Array.from({ length: 10 }, post));
    const limited = answers.find((res) => res.status === 429);
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited?.json()).toMatchObject({ code: 8, details: [] });
    const pc = new Pinecone({ apiKey: key, controllerHostUrl: `${lg.base}/pinecone` });
    // Each call is refused once and not retried; the bucket refills one token a second, so the
    // calls go on until one is refused.
    let refused: unknown;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      lg.resetCount();
      refused = await pc.listIndexes().then(
        () => undefined,
        (err: unknown) => err,
      );
    }
    expect(String(refused)).toMatch(/429/);
    expect(lg.requestsTo('/pinecone/indexes')).toBe(1);
  });
});
