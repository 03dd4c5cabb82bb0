import type { QdrantClient } from '@qdrant/js-client-rest';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { parseAnswer, RawAnswer } from '../support/raw-http';
import { bearer } from '../support/tokens';
import {
  QdrantGateway,
  quietInsecureKeyWarning,
  refusal,
  startQdrantGateway,
} from './qdrant-support';

const COLLECTION = 'docs';
const UUID = 'a4f3c1b2-0000-4000-8000-00000000000a';

/** Six points: ids 1..5 and one UUID, in two sources, with a year. */
async function seed(client: QdrantClient, tag: string): Promise<void> {
  await client.createCollection(COLLECTION, { vectors: { size: 3, distance: 'Cosine' } });
  const points = [
    { id: 1, vector: [1, 0, 0], payload: { metadata: { source: 'a', year: 2020 }, owner: tag } },
    {
      id: 2,
      vector: [0.9, 0.1, 0],
      payload: { metadata: { source: 'a', year: 2021 }, owner: tag },
    },
    { id: 3, vector: [0, 1, 0], payload: { metadata: { source: 'b', year: 2022 }, owner: tag } },
    { id: 4, vector: [0, 0.9, 0.1], payload: { metadata: { source: 'b' }, owner: tag } },
    { id: 5, vector: [0, 0, 1], payload: { owner: tag } },
    {
      id: UUID.toUpperCase(),
      vector: [0.5, 0.5, 0],
      payload: { metadata: { source: 'c' }, owner: tag },
    },
  ];
  expect(await client.upsert(COLLECTION, { wait: true, points })).toEqual({
    operation_id: 0,
    status: 'completed',
  });
}

const ids = (points: { id: string | number }[]): (string | number)[] => points.map((p) => p.id);

const COMPLETED = { operation_id: 0, status: 'completed' };

/** Bytes on a plain socket (an HTTP client refuses an over-long header), read until closed. */
function exchange(url: string, bytes: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', () => resolve(parseAnswer(data)));
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

// The client warns about an API key sent over plain HTTP: loopback in these tests.
beforeAll(() => quietInsecureKeyWarning());

/** A component of [0.9, 0.1] scaled to unit length: a cosine collection answers its vectors so. */
const unit = (component: number): unknown => expect.closeTo(component / Math.hypot(0.9, 0.1), 5);

describe('Qdrant API with the Qdrant JS client 1.18', () => {
  let q: QdrantGateway;
  let acme: QdrantClient;
  let globex: QdrantClient;
  let acmeReader: string;
  let acmeKey: string;

  beforeAll(async () => {
    q = await startQdrantGateway({
      acme: { dimension: 3, metric: 'cosine' },
      globex: { dimension: 3, metric: 'cosine' },
      euclid: { dimension: 2, metric: 'euclidean' },
      bulky: { dimension: 2, metric: 'euclidean' },
    });
    acmeKey = await q.apiKey('acme', ['reader', 'writer']);
    acme = q.client(acmeKey);
    globex = q.client(await q.apiKey('globex', ['reader', 'writer']));
    acmeReader = await q.apiKey('acme', ['reader']);
    await seed(acme, 'acme');
    await seed(globex, 'globex');
  });
  afterAll(() => q.close());

  it('answers the version check the client makes at construction', async () => {
    expect(await acme.versionInfo()).toEqual({ title: expect.any(String), version: '1.18.0' });
  });

  it('lists only the caller’s collections, and creating one again is idempotent', async () => {
    await globex.createCollection('globex-only', { vectors: { size: 3, distance: 'Cosine' } });
    expect(await acme.getCollections()).toEqual({ collections: [{ name: COLLECTION }] });
    expect(await acme.collectionExists('globex-only')).toEqual({ exists: false });
    expect(await globex.collectionExists('globex-only')).toEqual({ exists: true });
    expect(
      await acme.createCollection(COLLECTION, { vectors: { size: 3, distance: 'Cosine' } }),
    ).toBe(true);
    const info = await acme.getCollection(COLLECTION);
    expect(info.points_count).toBe(6);
    expect(info.config.params.vectors).toEqual({ size: 3, distance: 'Cosine' });
  });

  it('refuses a collection of another dimension or distance with 400, creating nothing', async () => {
    for (const vectors of [
      { size: 4, distance: 'Cosine' as const },
      { size: 3, distance: 'Dot' as const },
    ]) {
      const refused = await refusal(acme.createCollection('other', { vectors }));
      expect(refused.status).toBe(400);
      expect(refused.error).toContain('{size: 3, distance: Cosine}');
    }
    expect(await acme.collectionExists('other')).toEqual({ exists: false });
  });

  it('accepts every setting the client sends with a collection, and refuses a misspelt one', async () => {
    const tuned = await acme.createCollection('tuned', {
      vectors: { size: 3, distance: 'Cosine', on_disk: true, hnsw_config: { m: 8 } },
      shard_number: 1,
      sharding_method: 'auto',
      replication_factor: 1,
      write_consistency_factor: 1,
      on_disk_payload: true,
      hnsw_config: { m: 16, ef_construct: 100 },
      wal_config: { wal_capacity_mb: 32 },
      optimizers_config: { default_segment_number: 2 },
      quantization_config: { scalar: { type: 'int8', always_ram: true } },
      sparse_vectors: null,
      strict_mode_config: { enabled: false },
    });
    expect(tuned).toBe(true);
    const put = (name: string, body: unknown): Promise<Response> =>
      fetch(`${q.url}/collections/${name}`, {
        method: 'PUT',
        headers: { 'api-key': acmeKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // Client 1.19's new fields (it needs Node 22, so sent here as it sends them).
    const newer = await put('tuned', {
      vectors: { size: 3, distance: 'Cosine', memory: 'cold' },
      payload: { memory: 'cold' },
      metadata: { team: 'a' },
    });
    expect(newer.status).toBe(200);
    // The client sends only the fields it knows; another program may send any.
    const misspelt = await put('misspelt', {
      vectors: { size: 3, distance: 'Cosine' },
      hnsw: { m: 16 },
    });
    expect([misspelt.status, await misspelt.json()]).toEqual([
      400,
      {
        status: {
          error: expect.stringMatching(
            /^Bad Request: hnsw is not a field of a collection .*\(hnsw\)$/,
          ),
        },
        time: expect.any(Number),
      },
    ]);
    expect(await acme.collectionExists('misspelt')).toEqual({ exists: false });
    expect(await acme.deleteCollection('tuned')).toBe(true);
  });

  it('queries nearest points with filters on nested payload keys', async () => {
    const query = (filter: Record<string, unknown>) =>
      acme
        .query(COLLECTION, { query: [1, 0.05, 0], filter, limit: 10, with_payload: true })
        .then((r) => ids(r.points));
    expect(await query({ must: [{ key: 'metadata.source', match: { value: 'a' } }] })).toEqual([
      1, 2,
    ]);
    expect(await query({ must: [{ key: 'metadata.source', match: { any: ['b', 'c'] } }] })).toEqual(
      [UUID, 3, 4],
    );
    expect(
      await query({ must: [{ key: 'metadata.year', range: { gte: 2021, lt: 2023 } }] }),
    ).toEqual([2, 3]);
    expect(
      await query({
        should: [
          { key: 'metadata.year', match: { value: 2020 } },
          { key: 'metadata.source', match: { value: 'c' } },
        ],
      }),
    ).toEqual([1, UUID]);
    // must_not also keeps points without the key, as Qdrant does.
    expect(await query({ must_not: [{ key: 'metadata.source', match: { value: 'a' } }] })).toEqual([
      UUID,
      3,
      4,
      5,
    ]);
    expect(await query({ must: [{ is_empty: { key: 'metadata.year' } }] })).toEqual([UUID, 4, 5]);
    expect(
      await query({ must: [{ key: 'metadata.source', match: { except: ['a', 'b'] } }] }),
    ).toEqual([UUID]);
  });

  it('answers query and search with payload, vector, limit, offset and score_threshold', async () => {
    const { points } = await acme.query(COLLECTION, { query: [1, 0, 0], limit: 2, offset: 1 });
    expect(ids(points)).toEqual([2, UUID]);
    expect(points[0]).toEqual({
      id: 2,
      version: 0,
      score: expect.any(Number),
      payload: null,
      vector: null,
    });
    const found = await acme.search(COLLECTION, {
      vector: [1, 0, 0],
      limit: 3,
      with_payload: ['metadata.source'],
      with_vector: true,
      score_threshold: 0.9,
    });
    expect(found.map((p) => [p.id, p.payload, p.vector])).toEqual([
      [1, { metadata: { source: 'a' } }, [1, 0, 0]],
      [2, { metadata: { source: 'a' } }, [unit(0.9), unit(0.1), 0]],
    ]);
    expect(found[0]?.score).toBeCloseTo(1, 5);
  });

  it('retrieves points by integer and UUID ids in any UUID form, and one point by path', async () => {
    const got = await acme.retrieve(COLLECTION, { ids: [3, `urn:uuid:${UUID.toUpperCase()}`, 99] });
    expect(got).toEqual([
      { id: 3, payload: { metadata: { source: 'b', year: 2022 }, owner: 'acme' }, vector: null },
      { id: UUID, payload: { metadata: { source: 'c' }, owner: 'acme' }, vector: null },
    ]);
    // The same id in another tenant's collection of the same name is that tenant's own point.
    expect((await globex.retrieve(COLLECTION, { ids: [3] }))[0]?.payload).toMatchObject({
      owner: 'globex',
    });
    const res = await q.gw.http.get('/v1/vectors/3?namespace=docs').set('api-key', acmeReader);
    expect([res.status, (res.body as { id: string }).id]).toEqual([200, '3']);
  });

  it('treats the v1 id "42" and the Qdrant id 42 as one record, and hides v1 ids Qdrant cannot express', async () => {
    const writer = await q.apiKey('acme', ['writer']);
    const put = await q.gw.http
      .put('/v1/vectors')
      .set('api-key', writer)
      .send({
        namespace: 'ids',
        vectors: [
          { id: '42', values: [1, 0, 0] },
          { id: 'doc-7', values: [1, 0, 0] },
        ],
      });
    expect(put.status).toBe(200);
    expect(ids(await acme.retrieve('ids', { ids: [42] }))).toEqual([42]);
    expect(ids((await acme.query('ids', { query: [1, 0, 0] })).points)).toEqual([42]);
    expect(await acme.count('ids', {})).toEqual({ count: 2 });
    // A page ending with the last point a scroll answers has no next one, records without a
    // Qdrant id after it included.
    const scrolled = await acme.scroll('ids', { limit: 1 });
    expect([ids(scrolled.points), scrolled.next_page_offset]).toEqual([[42], null]);
    const bad = await refusal(acme.retrieve('ids', { ids: ['doc-7'] }));
    expect(bad.status).toBe(400);
    expect(bad.error).toContain('unsigned integer or a UUID');
  });

  it('refuses the path id 042 of a v1 record with the 400 a retrieve of it gets, and serves 42', async () => {
    const writer = await q.apiKey('acme', ['writer']);
    const put = await q.gw.http
      .put('/v1/vectors')
      .set('api-key', writer)
      .send({
        namespace: 'lead',
        vectors: [
          { id: '042', values: [1, 0, 0] },
          { id: '42', values: [0, 1, 0] },
        ],
      });
    expect(put.status).toBe(200);
    const retrieved = await refusal(acme.retrieve('lead', { ids: ['042'] }));
    const byPath = await fetch(`${q.url}/collections/lead/points/042`, {
      headers: { 'api-key': acmeReader },
    });
    const error = ((await byPath.json()) as { status: { error: string } }).status.error;
    expect([byPath.status, error]).toEqual([
      400,
      'Bad Request: a point id is an unsigned integer or a UUID (id)',
    ]);
    expect(retrieved).toEqual({ status: 400, error: error.replace('(id)', '(ids[0])') });
    // The canonical spelling is the integer id, the v1 record "42".
    const found = await fetch(`${q.url}/collections/lead/points/42`, {
      headers: { 'api-key': acmeReader },
    });
    expect([found.status, ((await found.json()) as { result: { id: unknown } }).result.id]).toEqual(
      [200, 42],
    );
  });

  it('takes every valid wait and ordering on writes', async () => {
    await acme.createCollection('ordered', { vectors: { size: 3, distance: 'Cosine' } });
    for (const [wait, ordering] of [
      [true, 'strong'],
      [false, 'medium'],
      [true, 'weak'],
    ] as const) {
      expect(
        await acme.upsert('ordered', { wait, ordering, points: [{ id: 7, vector: [1, 0, 0] }] }),
      ).toEqual(COMPLETED);
    }
    expect(await acme.delete('ordered', { wait: false, ordering: 'medium', points: [7] })).toEqual(
      COMPLETED,
    );
    expect(await acme.count('ordered', {})).toEqual({ count: 0 });
  });

  it('scrolls page by page, with a filter, and counts with and without one', async () => {
    const first = await acme.scroll(COLLECTION, { limit: 4, with_payload: false });
    expect(ids(first.points)).toEqual([1, 2, 3, 4]);
    expect(typeof first.next_page_offset).toBe('string');
    const second = await acme.scroll(COLLECTION, {
      limit: 4,
      offset: first.next_page_offset,
      with_payload: false,
    });
    expect(ids(second.points)).toEqual([5, UUID]);
    expect(second.next_page_offset ?? null).toBeNull();
    const filtered = await acme.scroll(COLLECTION, {
      filter: { must: [{ key: 'metadata.source', match: { value: 'b' } }] },
      with_vector: true,
    });
    expect(filtered.points).toEqual([
      {
        id: 3,
        payload: { metadata: { source: 'b', year: 2022 }, owner: 'acme' },
        vector: [0, 1, 0],
      },
      {
        id: 4,
        payload: { metadata: { source: 'b' }, owner: 'acme' },
        vector: [0, unit(0.9), unit(0.1)],
      },
    ]);
    expect(await acme.count(COLLECTION, {})).toEqual({ count: 6 });
    expect(
      await acme.count(COLLECTION, {
        filter: { must: [{ key: 'metadata.source', match: { any: ['a', 'c'] } }] },
      }),
    ).toEqual({ count: 3 });
    expect((await refusal(acme.scroll(COLLECTION, { offset: 3 }))).status).toBe(400);
    // has_id in the top-level must, alone or beside other conditions.
    const chosen = { must: [{ has_id: [2, 3, UUID.toUpperCase(), 77] }] };
    expect(ids((await acme.scroll(COLLECTION, { filter: chosen })).points)).toEqual([2, 3, UUID]);
    expect(await acme.count(COLLECTION, { filter: chosen })).toEqual({ count: 3 });
    const both = {
      must: [...chosen.must, { key: 'metadata.source', match: { value: 'b' } }],
    };
    expect(ids((await acme.scroll(COLLECTION, { filter: both })).points)).toEqual([3]);
    expect(await acme.count(COLLECTION, { filter: both })).toEqual({ count: 1 });
  });

  it('takes the batch form of upsert, all or nothing', async () => {
    await acme.createCollection('batch', { vectors: { size: 3, distance: 'Cosine' } });
    await acme.upsert('batch', {
      batch: {
        ids: [10, 11],
        vectors: [
          [1, 0, 0],
          [0, 1, 0],
        ],
        payloads: [{ a: 1 }, { a: 2 }],
      },
    });
    expect(await acme.retrieve('batch', { ids: [10, 11] })).toEqual([
      { id: 10, payload: { a: 1 }, vector: null },
      { id: 11, payload: { a: 2 }, vector: null },
    ]);
    const refused = await refusal(
      acme.upsert('batch', {
        batch: {
          ids: [12, 13],
          vectors: [
            [1, 0, 0],
            [0, 0],
          ],
        },
      }),
    );
    expect(refused.status).toBe(422);
    expect(await acme.count('batch', {})).toEqual({ count: 2 });
  });

  it('writes the last point of an id given twice in one upsert, as Qdrant does, in both forms', async () => {
    await acme.createCollection('twice', { vectors: { size: 3, distance: 'Cosine' } });
    await acme.upsert('twice', {
      points: [
        { id: 7, vector: [1, 0, 0], payload: { v: 'first' } },
        { id: 8, vector: [0, 1, 0], payload: { v: 'other' } },
        { id: 7, vector: [0, 0, 1], payload: { v: 'last' } },
      ],
    });
    await acme.upsert('twice', {
      batch: {
        ids: [9, 9],
        vectors: [
          [1, 0, 0],
          [0, 1, 0],
        ],
        payloads: [{ v: 'a' }, { v: 'b' }],
      },
    });
    const points = await acme.retrieve('twice', { ids: [7, 8, 9], with_vector: true });
    expect(points.map((p) => [p.id, p.payload?.v, p.vector])).toEqual([
      [7, 'last', [0, 0, 1]],
      [8, 'other', [0, 1, 0]],
      [9, 'b', [0, 1, 0]],
    ]);
    expect(await acme.count('twice', {})).toEqual({ count: 3 });
    // Every point is still checked: a bad vector is refused even when a later one replaces it.
    await expect(
      acme.upsert('twice', {
        points: [
          { id: 10, vector: [1, 0] },
          { id: 10, vector: [1, 0, 0] },
        ],
      }),
    ).rejects.toThrow();
    expect(await acme.count('twice', {})).toEqual({ count: 3 });
    expect(await acme.deleteCollection('twice')).toBe(true);
  });

  it('reports euclidean scores as distances, closest first', async () => {
    const client = q.client(await q.apiKey('euclid', ['reader', 'writer']));
    await client.createCollection('e', { vectors: { size: 2, distance: 'Euclid' } });
    await client.upsert('e', {
      points: [
        { id: 1, vector: [0, 0] },
        { id: 2, vector: [3, 4] },
      ],
    });
    const { points } = await client.query('e', { query: [0, 0] });
    expect(points.map((p) => [p.id, p.score])).toEqual([
      [1, 0],
      [2, 5],
    ]);
    const near = await client.query('e', { query: [0, 0], score_threshold: 1 });
    expect(ids(near.points)).toEqual([1]);
  });

  it('deletes points by id and by filter, within the caller’s collection only', async () => {
    await acme.createCollection('scratch', { vectors: { size: 3, distance: 'Cosine' } });
    await globex.createCollection('scratch', { vectors: { size: 3, distance: 'Cosine' } });
    for (const client of [acme, globex]) {
      await client.upsert('scratch', {
        points: [1, 2, 3].map((id) => ({ id, vector: [1, id, 0], payload: { keep: id === 3 } })),
      });
    }
    await acme.delete('scratch', { filter: { must: [{ has_id: [1] }] } });
    await acme.delete('scratch', { filter: { must: [{ key: 'keep', match: { value: false } }] } });
    expect(await acme.count('scratch', {})).toEqual({ count: 1 });
    expect(await globex.count('scratch', {})).toEqual({ count: 3 });
    expect(await acme.deleteCollection('scratch')).toBe(true);
    expect(await acme.collectionExists('scratch')).toEqual({ exists: false });
    expect(await acme.deleteCollection('scratch')).toBe(false);
    expect(await acme.retrieve(COLLECTION, { ids: [] })).toEqual([]);
    expect(await globex.collectionExists('scratch')).toEqual({ exists: true });
  });

  it('refuses, deleting nothing, a filter it cannot translate exactly: a negated range or except, a condition of two kinds, is_empty', async () => {
    await acme.createCollection('arrays', { vectors: { size: 3, distance: 'Cosine' } });
    await acme.upsert('arrays', {
      points: [
        { id: 1, vector: [1, 0, 0], payload: { years: [2019, 2024], tag: 'odd' } },
        { id: 2, vector: [1, 1, 0], payload: { years: [2010, 2012], tag: 'even' } },
        { id: 3, vector: [1, 2, 0], payload: { years: 'unknown', tag: 'odd' } },
      ],
    });
    const refused = [
      [{ must_not: [{ key: 'years', range: { gt: 2020 } }] }, 'filter.must_not[0].range'],
      [{ must_not: [{ key: 'tag', match: { except: ['odd'] } }] }, 'filter.must_not[0].match'],
      [{ must: [{ has_id: [1, 2], key: 'tag', match: { value: 'odd' } }] }, 'filter.must[0].key'],
      [
        { must: [{ key: 'tag', match: { value: 'odd' }, is_empty: { key: 'tag' } }] },
        'filter.must[0].key',
      ],
      [{ must: [{ is_empty: { key: 'tag' } }] }, 'filter.must[0].is_empty'],
      [
        { should: [{ must_not: [{ is_empty: { key: 'years' } }] }] },
        'filter.should[0].must_not[0].is_empty',
      ],
    ] as const;
    for (const [filter, field] of refused) {
      const res = await fetch(`${q.url}/collections/arrays/points/delete`, {
        method: 'POST',
        headers: { 'api-key': acmeKey, 'content-type': 'application/json' },
        body: JSON.stringify({ filter }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { status: { error: string } }).status.error).toContain(field);
    }
    expect(await acme.count('arrays', {})).toEqual({ count: 3 });
    // The same conditions where they are exact: a range under must holds on any element.
    expect(
      await acme.count('arrays', { filter: { must: [{ key: 'years', range: { gt: 2020 } }] } }),
    ).toEqual({ count: 1 });
    expect(await acme.deleteCollection('arrays')).toBe(true);
  });

  it('re-ranks by maximal marginal relevance over candidates fetched with their vectors', async () => {
    const plain = await acme.query(COLLECTION, { query: [1, 0.05, 0], limit: 2 });
    expect(ids(plain.points)).toEqual([1, 2]);
    const diverse = await acme.query(COLLECTION, {
      query: { nearest: [1, 0.05, 0], mmr: { diversity: 0.9, candidates_limit: 6 } },
      limit: 2,
    });
    // Point 2 is nearly point 1; a diverse pick takes one far from it instead.
    expect(ids(diverse.points)[0]).toBe(1);
    expect(ids(diverse.points)[1]).not.toBe(2);
    const refused = await refusal(
      acme.query(COLLECTION, {
        query: { nearest: [1, 0, 0], mmr: { candidates_limit: 5000 } },
      }),
    );
    expect(refused.status).toBe(400);
  });

  it('refuses what it does not support with 400 in Qdrant’s error shape', async () => {
    for (const call of [
      acme.query(COLLECTION, { query: [1, 0, 0], using: 'image' }),
      acme.query(COLLECTION, { query: 3 }),
      acme.query(COLLECTION, {
        query: [1, 0, 0],
        filter: { must: [{ key: 'text', match: { text: 'hello' } }] },
      }),
      acme.query(COLLECTION, { query: [1, 0, 0], filter: { must: [{ has_id: [1] }] } }),
      acme.upsert(COLLECTION, { points: [{ id: -1, vector: [1, 0, 0] }] }),
      acme.upsert(COLLECTION, { points: [{ id: 'not-a-uuid', vector: [1, 0, 0] }] }),
    ]) {
      const refused = await refusal(call);
      expect(refused.status).toBe(400);
      expect(refused.error).toMatch(/^Bad Request: /);
    }
  });

  it('includes and excludes payload keys, nested ones by their dotted path', async () => {
    const payloadOf = async (
      with_payload: { include: string[] } | { exclude: string[] } | string[],
    ) => (await acme.retrieve(COLLECTION, { ids: [1], with_payload }))[0]?.payload;
    expect(await payloadOf({ exclude: ['metadata.source'] })).toEqual({
      metadata: { year: 2020 },
      owner: 'acme',
    });
    expect(await payloadOf({ exclude: ['owner', 'metadata.year', 'metadata.none.x'] })).toEqual({
      metadata: { source: 'a' },
    });
    expect(await payloadOf({ include: ['metadata.year'] })).toEqual({ metadata: { year: 2020 } });
    expect(await payloadOf(['owner'])).toEqual({ owner: 'acme' });
    // The stored payload is untouched by what an answer left out.
    expect(await payloadOf({ exclude: [] })).toEqual({
      metadata: { source: 'a', year: 2020 },
      owner: 'acme',
    });
    // A key path longer than any stored one can be names nothing: refused, not planned.
    const long = await refusal(payloadOf({ exclude: ['a.'.repeat(600)] }));
    expect([long.status, long.error]).toEqual([
      400,
      expect.stringContaining('with_payload.exclude'),
    ]);
  });

  it('takes the default vector under the empty name, in both upsert forms, and refuses other names', async () => {
    await acme.createCollection('unnamed', { vectors: { size: 3, distance: 'Cosine' } });
    const put = (body: object) =>
      fetch(`${q.url}/collections/unnamed/points?wait=true`, {
        method: 'PUT',
        headers: { 'api-key': acmeKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await put({ points: [{ id: 1, vector: { '': [1, 0, 0] } }] })).status).toBe(200);
    expect((await put({ batch: { ids: [2], vectors: { '': [[0, 1, 0]] } } })).status).toBe(200);
    const named = await put({ points: [{ id: 3, vector: { image: [0, 0, 1] } }] });
    expect(named.status).toBe(400);
    expect(((await named.json()) as { status: { error: string } }).status.error).toContain(
      'named vectors are not supported',
    );
    const points = await acme.retrieve('unnamed', { ids: [1, 2, 3], with_vector: true });
    expect(points.map((p) => [p.id, p.vector])).toEqual([
      [1, [1, 0, 0]],
      [2, [0, 1, 0]],
    ]);
    expect(await acme.deleteCollection('unnamed')).toBe(true);
  });

  it('refuses a field a call does not define with 400 naming it, and writes or deletes nothing', async () => {
    const filters = { must: [{ key: 'metadata.source', match: { value: 'a' } }] };
    const before = (await acme.count(COLLECTION)).count;
    // Bodies with one field misspelt, sent as they are (the client keeps only known fields).
    const cases: [string, string, object, string][] = [
      ['POST', 'search', { vector: [1, 0, 0], limit: 3, filters }, 'filters'],
      ['POST', 'query', { query: [1, 0, 0], filters }, 'filters'],
      [
        'POST',
        'query',
        { query: { nearest: [1, 0, 0], mmr: { diversty: 0.5 } } },
        'query.mmr.diversty',
      ],
      ['POST', 'query', { query: { nearest: [1, 0, 0], lambda: 1 } }, 'query.lambda'],
      ['POST', 'search', { vector: [1, 0, 0], limit: 3, params: { ef: 64 } }, 'params.ef'],
      ['POST', 'scroll', { filters }, 'filters'],
      ['POST', 'count', { filters }, 'filters'],
      ['POST', '', { ids: [1], with_payloads: true }, 'with_payloads'],
      ['PUT', '', { points: [{ id: 9, vector: [1, 0, 0], paylod: { x: 1 } }] }, 'points[0].paylod'],
      ['PUT', '', { batch: { ids: [9], vectors: [[1, 0, 0]], payload: [{}] } }, 'batch.payload'],
      ['PUT', '', { points: [{ id: 9, vector: [1, 0, 0] }], wiat: true }, 'wiat'],
      ['POST', 'delete', { points: [1], filters }, 'filters'],
      // A payload selector is an include or an exclude, alone.
      [
        'POST',
        '',
        { ids: [1], with_payload: { include: ['owner'], exclude: ['owner'] } },
        'with_payload.exclude',
      ],
      [
        'POST',
        'scroll',
        { with_payload: { exclude: ['owner'], inclde: ['x'] } },
        'with_payload.inclde',
      ],
    ];
    for (const [method, call, body, field] of cases) {
      const res = await fetch(
        `${q.url}/collections/${COLLECTION}/points${call ? `/${call}` : ''}`,
        {
          method,
          headers: { 'api-key': acmeKey, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
      );
      const error = ((await res.json()) as { status: { error?: string } }).status.error;
      expect([field, res.status, error]).toEqual([
        field,
        400,
        expect.stringContaining(`${field} is not a field of`),
      ]);
    }
    expect((await acme.count(COLLECTION)).count).toBe(before);
    expect(await acme.retrieve(COLLECTION, { ids: [1, 9] })).toHaveLength(1);
    // A field sent as null asks for nothing: a newer client's unset field is let through.
    const unset = await fetch(`${q.url}/collections/${COLLECTION}/points/search`, {
      method: 'POST',
      headers: { 'api-key': acmeKey, 'content-type': 'application/json' },
      body: JSON.stringify({ vector: [1, 0, 0], limit: 2, future_option: null }),
    });
    expect(unset.status).toBe(200);
  });

  it('answers as Qdrant does: each point once, no offset past the last point, an empty delete done', async () => {
    expect(ids(await acme.retrieve(COLLECTION, { ids: [2, 1, 2, 99, 1] }))).toEqual([2, 1]);
    // A page that holds the last point ends the scroll, with or without a filter.
    const total = (await acme.count(COLLECTION, { exact: true })).count;
    const whole = await acme.scroll(COLLECTION, { limit: total });
    expect([whole.points.length, whole.next_page_offset]).toEqual([total, null]);
    const first = await acme.scroll(COLLECTION, { limit: total - 1 });
    expect(first.next_page_offset).toEqual(expect.any(String));
    const last = await acme.scroll(COLLECTION, {
      limit: 1,
      offset: first.next_page_offset as string,
    });
    expect([last.points.length, last.next_page_offset]).toEqual([1, null]);
    const filter = { must: [{ key: 'metadata.source', match: { value: 'a' } }] };
    const sourceA = await acme.scroll(COLLECTION, { limit: 2, filter });
    expect([ids(sourceA.points), sourceA.next_page_offset]).toEqual([[1, 2], null]);
    // No point named, none deleted.
    expect(await acme.delete(COLLECTION, { wait: true, points: [] })).toEqual(COMPLETED);
    expect((await acme.count(COLLECTION, { exact: true })).count).toBe(total);
    // A reserved payload key is named as the request sent it.
    const res = await fetch(`${q.url}/collections/${COLLECTION}/points`, {
      method: 'PUT',
      headers: { 'api-key': acmeKey, 'content-type': 'application/json' },
      body: JSON.stringify({ points: [{ id: 9, vector: [1, 0, 0], payload: { _vgx: 1 } }] }),
    });
    const error = ((await res.json()) as { status: { error: string } }).status.error;
    expect([res.status, error]).toEqual([400, expect.stringContaining('(points[0].payload._vgx)')]);
  });

  it('streams large answers (search, retrieve, query, scroll) that the client reads as usual', async () => {
    const client = q.client(await q.apiKey('bulky', ['reader', 'writer']));
    await client.createCollection('big', { vectors: { size: 2, distance: 'Euclid' } });
    // 100 points of about 4 KB of payload each: past the bound, so each answer is a stream.
    const points = Array.from({ length: 100 }, (_, i) => ({
      id: i + 1,
      vector: [i, 0],
      payload: { text: `${'é'.repeat(4000)}${i}`, n: i },
    }));
    await client.upsert('big', { wait: true, points });
    const want = (i: number) => ({ text: `${'é'.repeat(4000)}${i}`, n: i });
    const searched = await client.search('big', { vector: [0, 0], limit: 100, with_payload: true });
    expect(searched.map((p) => [p.id, p.score, p.payload])).toEqual(
      points.map((p, i) => [p.id, i, want(i)]),
    );
    const queried = await client.query('big', { query: [0, 0], limit: 100, with_payload: true });
    expect(queried.points.map((p) => p.payload)).toEqual(points.map((_, i) => want(i)));
    const retrieved = await client.retrieve('big', { ids: points.map((p) => p.id) });
    expect(retrieved.map((p) => p.payload)).toEqual(points.map((_, i) => want(i)));
    const page = await client.scroll('big', { limit: 60, with_payload: true });
    expect([page.points.length, page.next_page_offset]).toEqual([60, expect.anything()]);
    const rest = await client.scroll('big', {
      limit: 60,
      offset: page.next_page_offset as number,
      with_payload: true,
    });
    expect([rest.points.length, rest.next_page_offset]).toEqual([40, null]);
    const res = await fetch(`${q.url}/collections/big/points/search`, {
      method: 'POST',
      headers: {
        'api-key': await q.apiKey('bulky', ['reader']),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ vector: [0, 0], limit: 100, with_payload: true }),
    });
    // Streamed: sent in chunks, without a length known in advance.
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as { result: unknown[]; status: string; time: number };
    expect([body.result.length, body.status, typeof body.time]).toEqual([100, 'ok', 'number']);
  });

  it('takes Qdrant’s read parameters, consistency and timeout, and refuses values Qdrant refuses', async () => {
    const read = (path: string, params: string, body?: unknown) =>
      fetch(`${q.url}/collections/${COLLECTION}/points${path}?${params}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'api-key': acmeReader, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const calls: [string, unknown][] = [
      ['', { ids: [1] }],
      ['/1', undefined],
      ['/query', { query: [1, 0, 0] }],
      ['/search', { vector: [1, 0, 0], limit: 1 }],
      ['/scroll', { limit: 1 }],
      ['/count', {}],
    ];
    const refused: [string, string][] = [
      ['consistency=bogus', 'consistency'],
      ['consistency=0', 'consistency'],
      ['consistency=all&consistency=all', 'consistency'],
      ['timeout=0', 'timeout'],
      ['timeout=-3', 'timeout'],
      ['timeout=1.5', 'timeout'],
    ];
    for (const [path, body] of calls) {
      for (const good of ['consistency=majority', 'consistency=2&timeout=30', 'consistency=all']) {
        expect([path, good, (await read(path, good, body)).status]).toEqual([path, good, 200]);
      }
      for (const [bad, field] of refused) {
        const res = await read(path, bad, body);
        const error = ((await res.json()) as { status: { error: string } }).status.error;
        expect([path, bad, res.status, error]).toEqual([
          path,
          bad,
          400,
          expect.stringContaining(`(${field})`),
        ]);
      }
    }
    // The client sends them as query parameters.
    const found = await acme.search(COLLECTION, {
      vector: [1, 0, 0],
      limit: 1,
      consistency: 'quorum',
      timeout: 5,
    });
    expect(ids(found)).toEqual([1]);
  });

  it('reads match any of no value as Qdrant does: no point, so a delete removes none', async () => {
    const none = { must: [{ key: 'owner', match: { any: [] } }] };
    const total = (await acme.count(COLLECTION, { exact: true })).count;
    expect((await acme.count(COLLECTION, { exact: true, filter: none })).count).toBe(0);
    expect((await acme.query(COLLECTION, { query: [1, 0, 0], filter: none })).points).toEqual([]);
    const all = { must_not: [{ key: 'owner', match: { any: [] } }] };
    expect((await acme.count(COLLECTION, { exact: true, filter: all })).count).toBe(total);
    expect(await acme.delete(COLLECTION, { wait: true, filter: none })).toEqual(COMPLETED);
    expect((await acme.count(COLLECTION, { exact: true })).count).toBe(total);
  });

  it('answers 404 for a collection the tenant does not have, even when another tenant has it', async () => {
    const refused = await refusal(acme.query('globex-only', { query: [1, 0, 0] }));
    expect(refused).toEqual({ status: 404, error: expect.stringContaining('globex-only') });
    expect(await globex.count('globex-only', {})).toEqual({ count: 0 });
  });

  it('requires the writer role to write and a key or token at all', async () => {
    const reader = q.client(acmeReader);
    expect(
      (await refusal(reader.upsert(COLLECTION, { points: [{ id: 9, vector: [1, 0, 0] }] }))).status,
    ).toBe(403);
    expect(
      (await refusal(reader.createCollection('new', { vectors: { size: 3, distance: 'Cosine' } })))
        .status,
    ).toBe(403);
    expect((await refusal(q.client('vgk_not-a-key').getCollections())).status).toBe(401);
    expect((await reader.query(COLLECTION, { query: [1, 0, 0], limit: 1 })).points).toHaveLength(1);
    // A JWT works too.
    const token = q.gw.tokens.tenant('acme', ['reader']);
    const res = await fetch(`${q.url}/collections`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
  });

  it('is not reachable through the main port, whose routes it cannot reach either', async () => {
    const key = await q.apiKey('acme', ['reader']);
    const main = await q.gw.http.get('/qdrant/collections').set('api-key', key);
    expect(main.status).toBe(404);
    const viaQdrant = await fetch(`${q.url}/v1/namespaces`, { headers: { 'api-key': key } });
    expect(viaQdrant.status).toBe(404);
    expect(await viaQdrant.json()).toEqual({
      status: { error: expect.any(String) },
      time: expect.any(Number),
    });
    // The port's paths run under an internal prefix, which a 404 does not reveal.
    for (const [method, path] of [
      ['GET', '/collections/docs/snapshots'],
      ['DELETE', '/'],
    ] as const) {
      const unrouted = await fetch(`${q.url}${path}`, { method, headers: { 'api-key': key } });
      const { status } = (await unrouted.json()) as { status: { error: string } };
      expect([unrouted.status, status.error]).toEqual([404, `Not Found: Cannot ${method} ${path}`]);
    }
    const health = await fetch(`${q.url}/health/live`, { headers: { 'api-key': key } });
    expect(health.status).toBe(404);
    // Refusals made before routing (a path too long, a body that is not JSON) take Qdrant's shape too.
    const long = await fetch(`${q.url}/collections/${'a'.repeat(9000)}`, {
      headers: { 'api-key': key },
    });
    expect([long.status, await long.json()]).toEqual([
      414,
      { status: { error: 'URI Too Long: the path is too long' }, time: expect.any(Number) },
    ]);
    const bad = await fetch(`${q.url}/collections/${COLLECTION}/points/query`, {
      method: 'POST',
      headers: { 'api-key': key, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect([
      bad.status,
      ((await bad.json()) as { status: { error: string } }).status.error,
    ]).toEqual([400, expect.stringMatching(/^Bad Request: /)]);
  });

  it('answers requests Node refuses before routing (431, 400) in Qdrant’s shape, audited', async () => {
    const key = await q.apiKey('acme', ['reader']);
    const tooLong = await exchange(
      q.url,
      `GET /collections/${'a'.repeat(17_000)} HTTP/1.1\r\nHost: x\r\napi-key: ${key}\r\n\r\n`,
    );
    const notHttp = await exchange(q.url, 'GET /collections HTTP/1.1\r\nHost x\r\n\r\n');
    for (const [answer, status, title] of [
      [tooLong, 431, 'Request Header Fields Too Large'],
      [notHttp, 400, 'Bad Request'],
    ] as const) {
      expect([answer.status, answer.headers['content-type'], answer.headers.connection]).toEqual([
        status,
        'application/json; charset=utf-8',
        'close',
      ]);
      expect(JSON.parse(answer.body)).toEqual({
        status: { error: expect.stringMatching(new RegExp(`^${title}: `)) },
        time: expect.any(Number),
      });
      const requestId = answer.headers['x-request-id'] ?? '';
      await q.gw.flushAudit();
      const events = await q.gw.http
        .get('/v1/admin/audit')
        .query({ requestId })
        .set(bearer(q.gw.tokens.platform(['auditor'])));
      expect((events.body as { items: { status: number }[] }).items.map((e) => e.status)).toEqual([
        status,
      ]);
    }
  });

  it('audits one event per call as qdrant.<call>, refusals included', async () => {
    const requestId = randomUUID();
    const client = q.client(await q.apiKey('acme', ['reader']), requestId);
    await client.query(COLLECTION, { query: [1, 0, 0] });
    const events = await q.audit(requestId);
    expect(events.map((e) => [e.action, e.status, e.tenantId, e.resultCount])).toEqual([
      ['qdrant.query_points', 200, 'acme', 6],
    ]);
    expect((events[0] as { resource?: string }).resource).toBe(
      'POST /qdrant/collections/:name/points/query?namespace=docs',
    );

    const refusedId = randomUUID();
    const refusedClient = q.client(await q.apiKey('acme', ['reader']), refusedId);
    await refusal(refusedClient.upsert(COLLECTION, { points: [{ id: 1, vector: [1, 0, 0] }] }));
    expect((await q.audit(refusedId)).map((e) => [e.action, e.status, e.outcome])).toEqual([
      ['qdrant.upsert_points', 403, 'denied'],
    ]);
  });
});

describe('cross-tenant tricks through the Qdrant API', () => {
  let q: QdrantGateway;
  let acme: QdrantClient;
  let acmeKey: string;

  beforeAll(async () => {
    q = await startQdrantGateway({
      acme: { dimension: 3, metric: 'cosine' },
      globex: { dimension: 3, metric: 'cosine' },
    });
    acmeKey = await q.apiKey('acme', ['reader', 'writer']);
    acme = q.client(acmeKey);
    const globex = q.client(await q.apiKey('globex', ['reader', 'writer']));
    for (const client of [acme, globex]) {
      await client.createCollection(COLLECTION, { vectors: { size: 3, distance: 'Cosine' } });
    }
    await globex.upsert(COLLECTION, {
      points: [{ id: 1, vector: [1, 0, 0], payload: { secret: 'globex' } }],
    });
  });
  afterAll(() => q.close());

  /** Sends a call with a tagged client; returns the refusal and the one audit event. */
  async function attempt(
    call: (client: QdrantClient) => Promise<unknown>,
    headers: Record<string, string> = {},
  ) {
    const requestId = randomUUID();
    const before = q.requests();
    const refused = await refusal(call(q.client(acmeKey, requestId, headers)));
    const events = await q.audit(requestId);
    return { refused, events, sent: q.requests() - before };
  }

  it('refuses filters on reserved keys with 400, audited as a bypass attempt, sent once', async () => {
    for (const key of ['_vg_tenant', 'metadata._vg_tenant', 'tenant_id']) {
      const { refused, events, sent } = await attempt((c) =>
        c.query(COLLECTION, {
          query: [1, 0, 0],
          filter: { must: [{ key, match: { value: 'globex' } }] },
        }),
      );
      expect([key, refused.status, sent]).toEqual([key, 400, 1]);
      expect(events.map((e) => [e.action, e.status, e.reason?.split(' ')[0]])).toEqual([
        ['qdrant.query_points', 400, 'tenant_bypass_attempt'],
      ]);
    }
  });

  it('refuses reserved payload keys and tenant headers with 400, audited', async () => {
    const payload = await attempt((c) =>
      c.upsert(COLLECTION, {
        points: [{ id: 7, vector: [1, 0, 0], payload: { tenant_id: 'globex' } }],
      }),
    );
    expect([payload.refused.status, payload.sent, payload.events[0]?.status]).toEqual([
      400, 1, 400,
    ]);
    const header = await attempt((c) => c.getCollections(), { 'x-tenant-id': 'globex' });
    expect([header.refused.status, header.sent, header.events[0]?.reason?.split(' ')[0]]).toEqual([
      400,
      1,
      'tenant_bypass_attempt',
    ]);
  });

  it('sees none of another tenant’s points through its collection name, ids or filters', async () => {
    expect(await acme.retrieve(COLLECTION, { ids: [1] })).toEqual([]);
    expect((await acme.query(COLLECTION, { query: [1, 0, 0] })).points).toEqual([]);
    expect(await acme.count(COLLECTION, {})).toEqual({ count: 0 });
    const uid = await q.gw.http.get('/v1/admin/tenants/globex').set(bearer(q.gw.tokens.platform()));
    const globexUid = (uid.body as { uid: string }).uid;
    const { refused } = await attempt((c) => c.query(globexUid, { query: [1, 0, 0] }));
    expect(refused.status).toBe(404);
    const namespaceTrick = await attempt((c) => c.query('_vg_globex', { query: [1, 0, 0] }));
    expect(namespaceTrick.refused.status).toBe(400);
  });

  it('does not retry a refusal: one request reaches the gateway per 4xx', async () => {
    const { refused, sent } = await attempt((c) => c.query('missing', { query: [1, 0, 0] }));
    expect([refused.status, sent]).toEqual([404, 1]);
  });
});
