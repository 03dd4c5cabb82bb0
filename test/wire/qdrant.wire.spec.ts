import { ScopeFence } from '../../libs/isolation/src/routing/scope-fence';
import { QdrantClient } from '@qdrant/js-client-rest';
import { createServer } from 'node:net';
import { verify } from 'jsonwebtoken';
import { BackendDrivers, FilterNode, makeTenantScope, TenantScope } from '@vecgate/isolation';
import {
  QdrantBackend,
  QdrantTokenClaims,
  QdrantTokenService,
} from '@vecgate/isolation/backends/qdrant';
import { pointId } from '@vecgate/isolation/backends/qdrant/qdrant.point-id';
import { QdrantStub, RecordedRequest } from './qdrant/stub';
import { scopeOn, stubOptions } from './qdrant/fixtures';
import { rng } from '../support/rng';
import * as shared from '../support/filter-cases';
import { compileRowFilter } from '../../libs/isolation/src/backends/embedded/embedded.row-filter';
import { DeadlineExceededError } from '@vecgate/core';

/**
 * The adapter, through the real @qdrant/js-client-rest client, against a local HTTP stub that
 * records every request and answers like Qdrant (test/wire/qdrant/model.ts). Bodies are
 * asserted literally: what Qdrant would receive, per strategy.
 */

const KEY = 'wire-test-qdrant-api-key';
const ALL = { includeValues: true, includeMetadata: true } as const;
const NONE = { includeValues: false, includeMetadata: false } as const;
const TENANT = (uid: string) => ({ key: '_vg_tenant', match: { value: uid } });
/** The default namespace's condition: its stored value, or no value (points written before). */
const DEFAULT_NS = {
  should: [{ key: '_vg_ns', match: { value: '' } }, { is_empty: { key: '_vg_ns' } }],
};

let stub: QdrantStub;
let backend: QdrantBackend;

beforeAll(async () => {
  stub = await QdrantStub.start({ distributed: true, apiKey: KEY });
  backend = new QdrantBackend(stubOptions(stub.url, { apiKey: KEY, tokenMaxTtlSeconds: 900 }));
});

afterAll(async () => {
  await backend.close();
  await stub.close();
});

beforeEach(() => {
  stub.take();
  stub.intercept = undefined;
  stub.model.distributed = true;
});

function only(requests: RecordedRequest[], method: string, pathEnd: string): RecordedRequest[] {
  return requests.filter((r) => r.method === method && r.path.endsWith(pathEnd));
}

function one(requests: RecordedRequest[], method: string, pathEnd: string): RecordedRequest {
  const found = only(requests, method, pathEnd);
  if (found.length !== 1) {
    throw new Error(
      `expected one ${method} …${pathEnd}, got ${QdrantStub.lines(requests).join(', ')}`,
    );
  }
  return found[0]!;
}

/**
 * Every read, count and delete of points names the tenant and then the default namespace in its
 * first two `must` conditions.
 */
function expectTenantMust(requests: RecordedRequest[], uid: string, shardKey?: string): void {
  const data = requests.filter((r) => /\/points\/(scroll|count|query|delete)$/.test(r.path));
  expect(data.length).toBeGreaterThan(0);
  for (const request of data) {
    const body = request.body as { filter: { must: unknown[] }; shard_key?: string };
    expect(body.filter.must.slice(0, 2)).toEqual([TENANT(uid), DEFAULT_NS]);
    if (shardKey === undefined) expect(body.shard_key).toBeUndefined();
    else expect(body.shard_key).toBe(shardKey);
  }
}

/** The requests that create a collection: a look for it, then it and its two payload indexes. */
function creationOf(collection: string): string[] {
  return [
    `GET /collections/${collection}/exists`,
    `PUT /collections/${collection}`,
    `PUT /collections/${collection}/index?wait=true`,
    `PUT /collections/${collection}/index?wait=true`,
  ];
}

/**
 * Expects the payload indexes a provisioning creates: the tenant's (a Qdrant tenant index when
 * `isTenant`) and the namespace's.
 */
function expectPayloadIndexes(
  tenantIndex: RecordedRequest | undefined,
  namespaceIndex: RecordedRequest | undefined,
  isTenant: boolean,
): void {
  expect(tenantIndex?.body).toEqual({
    field_name: '_vg_tenant',
    field_schema: { type: 'keyword', is_tenant: isTenant },
  });
  expect(namespaceIndex?.body).toEqual({ field_name: '_vg_ns', field_schema: { type: 'keyword' } });
}

/** Erases `scope`, expecting each of `places` reported with nothing left; returns what it sent. */
async function erased(scope: TenantScope, places: string[]): Promise<RecordedRequest[]> {
  await expect(backend.erase(scope)).resolves.toEqual({
    places: places.map((place) => ({ place, remaining: 0 })),
  });
  return stub.take();
}

async function provisioned(
  strategy: 'collection' | 'partition_key' | 'partition',
  dimension = 8,
  metric: 'cosine' | 'euclidean' | 'dot' = 'cosine',
): Promise<TenantScope> {
  const scope = scopeOn(backend, strategy, dimension, metric);
  await backend.checkCapacity(scope);
  await backend.provision(scope);
  return scope;
}

const write = (id: string, values: number[], metadata?: Record<string, string | number>) => ({
  id,
  values: Float32Array.from(values),
  ...(metadata ? { metadata } : {}),
});

describe('every Qdrant call', () => {
  it('carries the configured API key, and the tenant only in the payload and the tenant condition', async () => {
    const scope = await provisioned('partition_key');
    await backend.upsert(scope, [write('a', [1, 0, 0, 0, 0, 0, 0, 0])]);
    await backend.search(scope, {
      vector: Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]),
      topK: 1,
      ...NONE,
    });
    const requests = stub.take();
    expect(requests.length).toBeGreaterThan(3);
    for (const request of requests) {
      expect(request.headers['api-key']).toBe(KEY);
      expect(request.headers['x-tenant-id']).toBeUndefined();
      expect(request.path).not.toContain(scope.tenantUid);
    }
  });
});

describe('collection strategy', () => {
  it('provisions a collection named from the tenant uid with the metric’s vectors and a tenant index', async () => {
    const scope = scopeOn(backend, 'collection', 8, 'cosine');
    expect(scope.placement.location).toEqual({ collection: `vg_t_${scope.tenantUid}` });
    await backend.provision(scope);
    const requests = stub.take();
    const name = `vg_t_${scope.tenantUid}`;
    expect(QdrantStub.lines(requests)).toEqual(creationOf(name));
    expect(requests[1]!.body).toEqual({
      vectors: {
        v: { size: 8, distance: 'Cosine' },
        v_raw: { size: 8, distance: 'Dot', on_disk: true, hnsw_config: { m: 0 } },
      },
    });
    expectPayloadIndexes(requests[2], requests[3], false);
    await backend.provision(scope);
    expect(QdrantStub.lines(stub.take())).toEqual([
      `GET /collections/${name}/exists`,
      `GET /collections/${name}`,
    ]);
  });

  it.each([
    ['euclidean', 'Euclid'],
    ['dot', 'Dot'],
  ] as const)('stores %s vectors once, as given (no raw copy needed)', async (metric, distance) => {
    const scope = scopeOn(backend, 'collection', 8, metric);
    await backend.provision(scope);
    expect(one(stub.take(), 'PUT', `/vg_t_${scope.tenantUid}`).body).toEqual({
      vectors: { v: { size: 8, distance } },
    });
  });

  it('upserts with wait=true, UUIDv5 point ids, and the tenant uid, caller id and metadata in the payload', async () => {
    const scope = await provisioned('collection');
    stub.take();
    await expect(
      backend.upsert(scope, [
        write('doc-1', [0.5, 0, 0, 0, 0, 0, 0, 0.25], { genre: 'news', n: 2 }),
        write('doc-2', [1, 1, 1, 1, 1, 1, 1, 1]),
      ]),
    ).resolves.toEqual({ upserted: 2 });
    const [upsert, ...rest] = stub.take();
    expect(rest).toEqual([]);
    expect(QdrantStub.lines([upsert!])).toEqual([
      `PUT /collections/vg_t_${scope.tenantUid}/points?wait=true`,
    ]);
    expect(upsert!.body).toEqual({
      points: [
        {
          id: pointId(scope.tenantUid, '', 'doc-1'),
          vector: {
            v: [0.5, 0, 0, 0, 0, 0, 0, 0.25],
            v_raw: [0.5, 0, 0, 0, 0, 0, 0, 0.25],
          },
          payload: {
            _vg_tenant: scope.tenantUid,
            _vg_ns: '',
            _vg_id: 'doc-1',
            _vg_keys: ['genre', 'n'],
            metadata: { genre: 'news', n: 2 },
          },
        },
        {
          id: pointId(scope.tenantUid, '', 'doc-2'),
          vector: { v: [1, 1, 1, 1, 1, 1, 1, 1], v_raw: [1, 1, 1, 1, 1, 1, 1, 1] },
          payload: {
            _vg_tenant: scope.tenantUid,
            _vg_ns: '',
            _vg_id: 'doc-2',
            _vg_keys: [],
            metadata: {},
          },
        },
      ],
    });
  });

  it('searches with query (not search), the tenant must condition, and exactly the payload asked for', async () => {
    const scope = await provisioned('collection');
    await backend.upsert(scope, [write('a', [1, 2, 3, 4, 5, 6, 7, 8], { k: 'x' })]);
    stub.take();
    const hits = await backend.search(scope, {
      vector: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
      topK: 5,
      ...ALL,
    });
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({
      id: 'a',
      tenantUid: scope.tenantUid,
      namespace: '',
      metadata: { k: 'x' },
    });
    expect(Array.from(hits[0]!.values!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(hits[0]!.score).toBeCloseTo(1, 6);
    const query = one(stub.take(), 'POST', '/points/query');
    expect(query.path).toBe(`/collections/vg_t_${scope.tenantUid}/points/query`);
    expect(query.body).toEqual({
      query: [1, 2, 3, 4, 5, 6, 7, 8],
      using: 'v',
      filter: { must: [TENANT(scope.tenantUid), DEFAULT_NS] },
      limit: 5,
      with_payload: ['_vg_tenant', '_vg_ns', '_vg_id', 'metadata'],
      with_vector: ['v_raw'],
    });
  });

  it('puts the tenant condition as a must on every read, count and delete', async () => {
    const scope = await provisioned('collection');
    await backend.upsert(scope, [write('a', [1, 0, 0, 0, 0, 0, 0, 0], { c: 'red' })]);
    stub.take();
    await backend.fetch(scope, ['a', 'a', 'b'], NONE);
    await backend.count(scope);
    await backend.delete(scope, { kind: 'ids', ids: ['a'] });
    await backend.delete(scope, {
      kind: 'filter',
      filter: { op: '$eq', field: 'c', value: 'red' },
    });
    await backend.delete(scope, { kind: 'all' });
    const requests = stub.take();
    expectTenantMust(requests, scope.tenantUid);
    expect(one(requests, 'POST', '/points/scroll').body).toEqual({
      filter: {
        must: [
          TENANT(scope.tenantUid),
          DEFAULT_NS,
          { has_id: [pointId(scope.tenantUid, '', 'a'), pointId(scope.tenantUid, '', 'b')] },
        ],
      },
      limit: 2,
      with_payload: ['_vg_tenant', '_vg_ns', '_vg_id'],
      with_vector: false,
    });
    const deletes = only(requests, 'POST', '/points/delete');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.query).toEqual({ wait: 'true' });
    expect(deletes[0]!.body).toEqual({
      filter: {
        must: [
          TENANT(scope.tenantUid),
          DEFAULT_NS,
          { has_id: [pointId(scope.tenantUid, '', 'a')] },
        ],
      },
    });
  });

  it('erases by revoking token grants, then dropping the collection, and verifies both', async () => {
    const scope = await provisioned('collection');
    await backend.mintToken(scope, { access: 'r', ttlSeconds: 60 });
    stub.take();
    const name = `vg_t_${scope.tenantUid}`;
    const requests = await erased(scope, ['qdrant:vg_token_grants', `qdrant:${name}`]);
    expect(QdrantStub.lines(requests)).toEqual([
      'GET /collections/vg_token_grants/exists',
      'POST /collections/vg_token_grants/points/count',
      'POST /collections/vg_token_grants/points/delete?wait=true',
      'POST /collections/vg_token_grants/points/count',
      `GET /collections/${name}/exists`,
      `DELETE /collections/${name}`,
      `GET /collections/${name}/exists`,
    ]);
    // The grant is found by the tenant alone: it belongs to no namespace.
    for (const request of only(requests, 'POST', '/vg_token_grants/points/count')) {
      expect(request.body).toEqual({ filter: { must: [TENANT(scope.tenantUid)] }, exact: true });
    }
    // Idempotent: a second erase finds nothing and reports nothing left.
    await erased(scope, ['qdrant:vg_token_grants', `qdrant:${name}`]);
  });

  it('refuses a new tenant collection beyond QDRANT_MAX_COLLECTIONS with a 507, before creating anything', async () => {
    const small = new QdrantBackend(stubOptions(stub.url, { apiKey: KEY, maxCollections: 1 }));
    const existing = [...stub.model.collections.keys()].filter((n) => n.startsWith('vg_t_'));
    expect(existing.length).toBeGreaterThanOrEqual(1);
    const scope = scopeOn(small, 'collection');
    stub.take();
    await expect(small.checkCapacity(scope)).rejects.toMatchObject({
      status: 507,
      message: expect.stringContaining('QDRANT_MAX_COLLECTIONS') as string,
    });
    expect(QdrantStub.lines(stub.take())).toEqual(['GET /collections']);
  });
});

describe('partition_key strategy', () => {
  it('refuses an unmapped vector space at planning with a 422 naming the pair', () => {
    expect(() => scopeOn(backend, 'partition_key', 768, 'dot')).toThrow(
      expect.objectContaining({ status: 422, message: expect.stringContaining('768:dot') }),
    );
    expect(stub.take()).toEqual([]);
  });

  it('creates the shared collection with Qdrant’s multitenancy settings and an is_tenant index', async () => {
    const scope = scopeOn(backend, 'partition_key', 12, 'euclidean');
    expect(scope.placement.location).toEqual({ collection: 'shared_12_euclidean' });
    await backend.provision(scope);
    const requests = stub.take();
    expect(QdrantStub.lines(requests)).toEqual(creationOf('shared_12_euclidean'));
    expect(requests[1]!.body).toEqual({
      vectors: { v: { size: 12, distance: 'Euclid' } },
      hnsw_config: { payload_m: 16, m: 0 },
    });
    expectPayloadIndexes(requests[2], requests[3], true);
    // A second tenant of the same space reuses it.
    await backend.provision(scopeOn(backend, 'partition_key', 12, 'euclidean'));
    expect(QdrantStub.lines(stub.take())).toEqual([
      'GET /collections/shared_12_euclidean/exists',
      'GET /collections/shared_12_euclidean',
    ]);
  });

  it('keeps both tenants’ points when both upsert the same id: different UUIDs, caller id in the payload', async () => {
    const a = await provisioned('partition_key', 8, 'dot');
    const b = await provisioned('partition_key', 8, 'dot');
    await backend.upsert(a, [write('doc-1', [1, 0, 0, 0, 0, 0, 0, 0], { owner: 'a' })]);
    await backend.upsert(b, [write('doc-1', [0, 1, 0, 0, 0, 0, 0, 0], { owner: 'b' })]);
    const upserts = only(stub.take(), 'PUT', '/points');
    const sent = upserts.map(
      (u) => (u.body as { points: { id: string; payload: unknown }[] }).points[0]!,
    );
    expect(sent[0]!.id).toBe(pointId(a.tenantUid, '', 'doc-1'));
    expect(sent[1]!.id).toBe(pointId(b.tenantUid, '', 'doc-1'));
    expect(sent[0]!.id).not.toBe(sent[1]!.id);
    const stored = stub.model
      .points('shared_8_dot')
      .filter((p) => p.payload._vg_id === 'doc-1')
      .map((p) => ({
        id: p.id,
        tenant: p.payload._vg_tenant,
        owner: (p.payload.metadata as { owner: string }).owner,
      }))
      .sort((x, y) => x.owner.localeCompare(y.owner));
    expect(stored).toEqual([
      { id: pointId(a.tenantUid, '', 'doc-1'), tenant: a.tenantUid, owner: 'a' },
      { id: pointId(b.tenantUid, '', 'doc-1'), tenant: b.tenantUid, owner: 'b' },
    ]);
    for (const [scope, owner] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const [record, ...none] = await backend.fetch(scope, ['doc-1'], ALL);
      expect(none).toEqual([]);
      expect(record).toMatchObject({
        id: 'doc-1',
        tenantUid: scope.tenantUid,
        metadata: { owner },
      });
    }
  });

  it('carries the tenant must condition on every query, count, read and delete, and never a shard key', async () => {
    const scope = await provisioned('partition_key', 8, 'cosine');
    await backend.upsert(scope, [write('x', [1, 1, 0, 0, 0, 0, 0, 0], { n: 3 })]);
    stub.take();
    await backend.search(scope, {
      vector: Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]),
      topK: 3,
      filter: { op: '$gte', field: 'n', value: 3 },
      ...NONE,
    });
    await backend.fetch(scope, ['x'], ALL);
    await backend.count(scope);
    await backend.delete(scope, { kind: 'filter', filter: { op: '$gte', field: 'n', value: 3 } });
    const requests = stub.take();
    expectTenantMust(requests, scope.tenantUid);
    expect(one(requests, 'POST', '/points/query').body).toEqual({
      query: [1, 0, 0, 0, 0, 0, 0, 0],
      using: 'v',
      filter: {
        must: [TENANT(scope.tenantUid), DEFAULT_NS, { key: 'metadata.n', range: { gte: 3 } }],
      },
      limit: 3,
      with_payload: ['_vg_tenant', '_vg_ns', '_vg_id'],
      with_vector: false,
    });
    expect(one(requests, 'POST', '/points/delete').body).toEqual({
      filter: {
        must: [TENANT(scope.tenantUid), DEFAULT_NS, { key: 'metadata.n', range: { gte: 3 } }],
      },
    });
    expect(only(requests, 'PUT', '/points')).toEqual([]);
  });

  it('erases by deleting the tenant’s points by filter and verifying a count of zero', async () => {
    const a = await provisioned('partition_key', 8, 'cosine');
    const b = await provisioned('partition_key', 8, 'cosine');
    await backend.upsert(a, [
      write('1', [1, 0, 0, 0, 0, 0, 0, 0]),
      write('2', [0, 1, 0, 0, 0, 0, 0, 0]),
    ]);
    await backend.upsert(b, [write('1', [1, 0, 0, 0, 0, 0, 0, 0])]);
    stub.take();
    const requests = await erased(a, ['qdrant:shared_8_cosine']);
    expect(QdrantStub.lines(requests)).toEqual([
      'GET /collections/shared_8_cosine/exists',
      'POST /collections/shared_8_cosine/points/delete?wait=true',
      'POST /collections/shared_8_cosine/points/count',
    ]);
    expect(one(requests, 'POST', '/points/delete').body).toEqual({
      filter: { must: [TENANT(a.tenantUid)] },
    });
    expect(one(requests, 'POST', '/points/count').body).toEqual({
      filter: { must: [TENANT(a.tenantUid)] },
      exact: true,
    });
    expect(await backend.count(b)).toBe(1);
  });
});

describe('partition strategy (custom shard keys)', () => {
  it('refuses a tenant when Qdrant runs standalone, with a 422 that says distributed mode, creating nothing', async () => {
    stub.model.distributed = false;
    const scope = scopeOn(backend, 'partition', 8, 'dot');
    await expect(backend.checkCapacity(scope)).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/distributed mode.*runs standalone/) as string,
    });
    await expect(backend.provision(scope)).rejects.toMatchObject({ status: 422 });
    expect(QdrantStub.lines(stub.take())).toEqual(['GET /cluster', 'GET /cluster']);
  });

  it('creates a custom-sharded collection and one shard key named by the tenant uid', async () => {
    const scope = scopeOn(backend, 'partition', 12, 'dot');
    expect(scope.placement.location).toEqual({
      collection: 'sharded_12_dot',
      shardKey: scope.tenantUid,
    });
    await backend.checkCapacity(scope);
    await backend.provision(scope);
    const requests = stub.take();
    expect(QdrantStub.lines(requests)).toEqual([
      'GET /cluster',
      'GET /collections/sharded_12_dot/exists',
      'GET /cluster',
      ...creationOf('sharded_12_dot'),
      'GET /collections/sharded_12_dot/shards',
      'PUT /collections/sharded_12_dot/shards',
    ]);
    expect(requests[4]!.body).toEqual({
      vectors: { v: { size: 12, distance: 'Dot' } },
      sharding_method: 'custom',
    });
    expectPayloadIndexes(requests[5], requests[6], true);
    expect(requests[8]!.body).toEqual({ shard_key: scope.tenantUid });
  });

  it('sends the tenant’s shard key and tenant condition on every write, query, read, count and delete', async () => {
    const scope = await provisioned('partition', 8, 'euclidean');
    stub.take();
    await backend.upsert(scope, [write('p', [0, 0, 0, 0, 0, 0, 0, 3], { tag: 't' })]);
    const hits = await backend.search(scope, {
      vector: Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0]),
      topK: 1,
      ...ALL,
    });
    // Euclidean: Qdrant answers the distance (3); the gateway's score is its negation.
    expect(hits.map((h) => [h.id, h.score])).toEqual([['p', -3]]);
    await backend.fetch(scope, ['p'], ALL);
    await backend.count(scope);
    await backend.delete(scope, { kind: 'all' });
    const requests = stub.take();
    expect((one(requests, 'PUT', '/points').body as { shard_key: string }).shard_key).toBe(
      scope.tenantUid,
    );
    expectTenantMust(requests, scope.tenantUid, scope.tenantUid);
  });

  it('refuses a shard key beyond QDRANT_MAX_SHARD_KEYS with a 507', async () => {
    await provisioned('partition', 12, 'cosine');
    const small = new QdrantBackend(stubOptions(stub.url, { apiKey: KEY, maxShardKeys: 1 }));
    const scope = scopeOn(small, 'partition', 12, 'cosine');
    await expect(small.checkCapacity(scope)).rejects.toMatchObject({
      status: 507,
      message: expect.stringContaining('QDRANT_MAX_SHARD_KEYS') as string,
    });
  });

  it('erases by deleting the shard key, then verifies no point of the tenant remains in any shard', async () => {
    const scope = await provisioned('partition', 8, 'cosine');
    await backend.upsert(scope, [write('p', [1, 0, 0, 0, 0, 0, 0, 0])]);
    stub.take();
    const requests = await erased(scope, [`qdrant:sharded_8_cosine/${scope.tenantUid}`]);
    expect(QdrantStub.lines(requests)).toEqual([
      'GET /collections/sharded_8_cosine/exists',
      'GET /collections/sharded_8_cosine/shards',
      'POST /collections/sharded_8_cosine/shards/delete',
      'GET /collections/sharded_8_cosine/shards',
      'POST /collections/sharded_8_cosine/points/count',
    ]);
    expect(requests[2]!.body).toEqual({ shard_key: scope.tenantUid });
    expect(requests[4]!.body).toEqual({ filter: { must: [TENANT(scope.tenantUid)] }, exact: true });
    await erased(scope, [`qdrant:sharded_8_cosine/${scope.tenantUid}`]);
  });
  it('erasing also deletes a stray point of the tenant found outside its shard key', async () => {
    const scope = await provisioned('partition', 8, 'cosine');
    const other = await provisioned('partition', 8, 'cosine');
    // Written around the gateway into another tenant's shard, carrying this tenant's uid.
    stub.model.collections.get('sharded_8_cosine')!.points.set('stray', {
      id: 'stray',
      vectors: {},
      payload: { _vg_tenant: scope.tenantUid },
      shardKey: other.tenantUid,
    });
    stub.take();
    const requests = await erased(scope, [`qdrant:sharded_8_cosine/${scope.tenantUid}`]);
    expect(QdrantStub.lines(requests).slice(-3)).toEqual([
      'POST /collections/sharded_8_cosine/points/count',
      'POST /collections/sharded_8_cosine/points/delete?wait=true',
      'POST /collections/sharded_8_cosine/points/count',
    ]);
    expect(one(requests, 'POST', '/points/delete').body).toEqual({
      filter: { must: [TENANT(scope.tenantUid)] },
    });
    expect(stub.model.collections.get('sharded_8_cosine')!.points.has('stray')).toBe(false);
  });
});

describe('user filters on the wire', () => {
  const ALPHABET = [
    ...`"'\\{}[]:,.$ \n\t\u0000\u2028`,
    '_vg_tenant',
    'must',
    'should',
    '𝕋',
    'é',
    '\ud83e\udd84',
  ];
  function hostile(next: () => number): string {
    return Array.from(
      { length: 1 + Math.floor(next() * 24) },
      () => ALPHABET[Math.floor(next() * ALPHABET.length)],
    ).join('');
  }

  it('sends 50 random hostile values verbatim as JSON data, nested after the tenant condition', async () => {
    const scope = await provisioned('partition_key', 8, 'dot');
    const next = rng(4);
    for (let i = 0; i < 50; i++) {
      const [s1, s2, s3] = [hostile(next), hostile(next), hostile(next)];
      const n = Math.round((next() - 0.5) * 1e6) / 1000;
      const filter: FilterNode = {
        op: '$and',
        nodes: [
          { op: '$eq', field: 'title', value: s1 },
          { op: '$in', field: 'tags', values: [s2, s3] },
          { op: '$ne', field: 'n', value: n },
          {
            op: '$or',
            nodes: [
              { op: '$lt', field: 'n', value: n },
              { op: '$eq', field: 'ok', value: true },
            ],
          },
        ],
      };
      stub.take();
      await expect(
        backend.search(scope, { vector: new Float32Array(8).fill(1), topK: 10, filter, ...NONE }),
      ).resolves.toEqual([]);
      const body = one(stub.take(), 'POST', '/points/query').body as { filter: unknown };
      const tags =
        s2 === s3
          ? { key: 'metadata.tags', match: { value: s2 } }
          : { key: 'metadata.tags', match: { any: [s2, s3] } };
      expect(body.filter).toEqual({
        must: [
          TENANT(scope.tenantUid),
          DEFAULT_NS,
          {
            must: [
              { key: 'metadata.title', match: { value: s1 } },
              tags,
              {
                must: [{ key: '_vg_keys', match: { value: 'n' } }],
                must_not: [{ key: 'metadata.n', range: { gte: n, lte: n } }],
              },
              {
                should: [
                  { key: 'metadata.n', range: { lt: n } },
                  { key: 'metadata.ok', match: { value: true } },
                ],
              },
            ],
          },
        ],
      });
    }
  });

  it('skips a query that can match nothing rather than widening it', async () => {
    const scope = await provisioned('partition_key', 8, 'dot');
    stub.take();
    const never: FilterNode = { op: '$gt', field: 'n', value: 'not a number' };
    await expect(
      backend.search(scope, {
        vector: new Float32Array(8).fill(1),
        topK: 3,
        filter: never,
        ...NONE,
      }),
    ).resolves.toEqual([]);
    await expect(backend.delete(scope, { kind: 'filter', filter: never })).resolves.toEqual({
      deleted: 0,
    });
    expect(stub.take()).toEqual([]);
  });

  it('answers dotted, nested and $exists filters as the embedded backend does, through the real client', async () => {
    const scope = await provisioned('partition_key', 8, 'dot');
    const records = Object.entries(shared.RECORDS).map(([id, metadata]) => ({
      id,
      values: new Float32Array(8).fill(1),
      ...(metadata ? { metadata } : {}),
    }));
    await backend.upsert(scope, records);
    const mismatches: string[] = [];
    for (const filter of shared.sharedFilters(31337, 40)) {
      const test = compileRowFilter(filter);
      const want = records
        .filter((r) => test(r.metadata))
        .map((r) => r.id)
        .sort();
      const hits = await backend.search(scope, {
        vector: new Float32Array(8).fill(1),
        topK: 100,
        filter,
        ...NONE,
      });
      const got = hits.map((h) => h.id).sort();
      if (want.join() !== got.join()) mismatches.push(`${JSON.stringify(filter)}: ${got.join()}`);
    }
    expect(mismatches).toEqual([]);
    // The literal dotted key wins; the nested path is read from the resolved `_vg_f` field.
    stub.take();
    const hits = await backend.search(scope, {
      vector: new Float32Array(8).fill(1),
      topK: 10,
      filter: { op: '$eq', field: 'loc.lines.from', value: '5' },
      ...NONE,
    });
    expect(hits.map((h) => h.id)).toEqual(['both']);
    const query = one(stub.take(), 'POST', '/points/query');
    expect((query.body as { filter: unknown }).filter).toEqual({
      must: [
        TENANT(scope.tenantUid),
        DEFAULT_NS,
        { key: '_vg_f.loc-lines-from', match: { value: '5' } },
      ],
    });
  });
});

describe('scores', () => {
  it.each([
    ['cosine', [3, 4], [4, 3], 24 / 25],
    ['euclidean', [3, 4], [0, 0], -5],
    ['dot', [3, 4], [4, 3], 24],
  ] as const)(
    '%s answers higher-is-more-similar scores',
    async (metric, stored, query, expected) => {
      const scope = await provisioned('partition_key', 8, metric);
      const pad = (v: readonly number[]) => Float32Array.from([...v, 0, 0, 0, 0, 0, 0]);
      await backend.upsert(scope, [write('s', Array.from(pad(stored)))]);
      const [hit] = await backend.search(scope, { vector: pad(query), topK: 1, ...ALL });
      expect(hit!.score).toBeCloseTo(expected, 5);
      // Reads return the caller's exact values, not Qdrant's normalised cosine copy.
      expect(Array.from(hit!.values!)).toEqual(Array.from(pad(stored)));
    },
  );
});

describe('failures', () => {
  async function failing(status: number, headers: Record<string, string> = {}): Promise<unknown> {
    const scope = await provisioned('partition_key', 8, 'cosine');
    stub.intercept = (r) =>
      r.path.endsWith('/points/query')
        ? { status, body: { status: { error: `failure ${status} with "secret" text` } }, headers }
        : undefined;
    try {
      await backend.search(scope, { vector: new Float32Array(8).fill(1), topK: 1, ...NONE });
    } catch (err) {
      return err;
    }
    throw new Error('expected the search to fail');
  }

  it.each([
    [400, 'Qdrant refused search (HTTP 400 Bad Request)'],
    [404, 'Qdrant refused search (HTTP 404 Not Found)'],
    [500, 'Qdrant refused search (HTTP 500 Internal Server Error)'],
  ])('turns HTTP %i into a clear 502, without Qdrant’s text', async (status, message) => {
    const err = (await failing(status)) as { status: number; message: string };
    expect(err.status).toBe(502);
    expect(err.message).toBe(message);
  });

  it.each([429, 503, 504])('turns HTTP %i into a 503 to retry', async (status) => {
    const err = (await failing(status, { 'retry-after': '4' })) as {
      status: number;
      message: string;
      extras: { retryAfterSeconds?: number };
    };
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/^Qdrant is (unavailable|overloaded)/);
    if (status === 429) expect(err.extras.retryAfterSeconds).toBe(4);
  });

  it('refuses a write Qdrant did not complete despite wait=true', async () => {
    const scope = await provisioned('partition_key', 8, 'cosine');
    for (const [status, code] of [
      ['acknowledged', 502],
      ['wait_timeout', 503],
    ] as const) {
      stub.intercept = (r) =>
        r.method === 'PUT' && r.path.endsWith('/points')
          ? { status: 200, body: { result: { operation_id: 1, status }, status: 'ok', time: 0 } }
          : undefined;
      await expect(
        backend.upsert(scope, [write('w', [1, 0, 0, 0, 0, 0, 0, 0])]),
      ).rejects.toMatchObject({
        status: code,
      });
    }
  });

  it('turns a timeout and an unreachable server into 503s, and health says so', async () => {
    const slow = new QdrantBackend(stubOptions(stub.url, { apiKey: KEY, timeoutMs: 150 }));
    const scope = scopeOn(slow, 'partition_key', 8, 'cosine');
    // Only the count is slow (a new process first looks at the collection's indexes).
    stub.intercept = (r) =>
      r.path.endsWith('/points/count')
        ? { status: 200, body: { result: { count: 0 } }, delayMs: 1000 }
        : undefined;
    await expect(slow.count(scope)).rejects.toMatchObject({
      status: 503,
      message: 'Qdrant did not answer in time (count points)',
    });
    stub.intercept = undefined;

    const port = await closedPort();
    const down = new QdrantBackend(stubOptions(`http://127.0.0.1:${port}`, { timeoutMs: 2000 }));
    await expect(down.count(scopeOn(down, 'partition_key'))).rejects.toMatchObject({
      status: 503,
      message: 'Qdrant cannot be reached (describe a collection: ECONNREFUSED)',
    });
    await expect(down.health()).resolves.toEqual({
      ok: false,
      detail: 'Qdrant cannot be reached (read the cluster status: ECONNREFUSED)',
    });
    await expect(backend.health()).resolves.toEqual({ ok: true, detail: 'distributed mode' });
    const wrongKey = new QdrantBackend(stubOptions(stub.url, { apiKey: 'wrong' }));
    await expect(wrongKey.health()).resolves.toEqual({
      ok: false,
      detail: 'Qdrant refused read the cluster status (HTTP 401 Unauthorized)',
    });
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('scoped Qdrant tokens', () => {
  const service = () => new QdrantTokenService(new BackendDrivers([backend]), new ScopeFence());

  it('mints a token whose claims name only the tenant’s collection, with the access asked for, the list form, value_exists and a bounded exp', async () => {
    const scope = await provisioned('collection');
    stub.take();
    const before = Math.floor(Date.now() / 1000);
    for (const access of ['r', 'rw'] as const) {
      const minted = await service().mint(scope, { access, ttlSeconds: 600 });
      const claims = verify(minted.token, KEY, { algorithms: ['HS256'] }) as QdrantTokenClaims;
      expect(claims).toEqual({
        iat: expect.any(Number) as number,
        exp: expect.any(Number) as number,
        jti: expect.any(String) as string,
        subject: `vecgate tenant ${scope.tenantId}`,
        access: [{ collection: `vg_t_${scope.tenantUid}`, access }],
        value_exists: {
          collection: 'vg_token_grants',
          matches: [{ key: '_vg_tenant', value: scope.tenantUid }],
        },
      });
      expect(claims.exp - claims.iat).toBe(600);
      expect(claims.exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 900);
      expect(claims.iat).toBeGreaterThanOrEqual(before);
      expect(minted).toEqual({
        token: minted.token,
        expiresAt: new Date(claims.exp * 1000).toISOString(),
        collection: `vg_t_${scope.tenantUid}`,
        url: stub.url,
      });
    }
    const grant = only(stub.take(), 'PUT', '/vg_token_grants/points')[0]!;
    expect(grant.query).toEqual({ wait: 'true' });
    expect(grant.body).toEqual({
      points: [
        {
          id: pointId(scope.tenantUid, '', '#qdrant-token-grant'),
          vector: [1],
          payload: { _vg_tenant: scope.tenantUid, collection: `vg_t_${scope.tenantUid}` },
        },
      ],
    });
  });

  it.each(['partition_key', 'partition'] as const)(
    'refuses a %s tenant with a 409 and sends nothing to Qdrant',
    async (strategy) => {
      const scope = scopeOn(backend, strategy, 8, 'cosine');
      stub.take();
      await expect(service().mint(scope, { access: 'r', ttlSeconds: 60 })).rejects.toMatchObject({
        status: 409,
      });
      expect(stub.take()).toEqual([]);
    },
  );

  it('opens only the tenant’s collection with its mode, as Qdrant’s RBAC decides it, and dies with the tenant', async () => {
    const a = await provisioned('collection');
    const b = await provisioned('collection');
    await backend.upsert(a, [write('1', [1, 0, 0, 0, 0, 0, 0, 0])]);
    const read = await service().mint(a, { access: 'r', ttlSeconds: 300 });
    const client = new QdrantClient({
      url: stub.url,
      headers: { authorization: `Bearer ${read.token}` },
      checkCompatibility: false,
    });
    await expect(client.count(read.collection, { exact: true })).resolves.toEqual({ count: 1 });
    await expect(client.count(`vg_t_${b.tenantUid}`)).rejects.toMatchObject({ status: 403 });
    await expect(client.getCollections()).resolves.toEqual({
      collections: [{ name: read.collection }],
    });
    await expect(client.upsert(read.collection, { wait: true, points: [] })).rejects.toMatchObject({
      status: 403,
    });
    await expect(client.deleteCollection(read.collection)).rejects.toMatchObject({ status: 403 });
    await backend.erase(a);
    // The grant point is gone: Qdrant's value_exists check refuses the token.
    await expect(client.count(read.collection)).rejects.toMatchObject({ status: 401 });
  });

  it('a move away from the collection revokes every token of the tenant and mints none while it runs', async () => {
    const a = await provisioned('collection');
    const b = await provisioned('collection');
    const tokenOfA = await service().mint(a, { access: 'rw', ttlSeconds: 300 });
    const tokenOfB = await service().mint(b, { access: 'r', ttlSeconds: 300 });
    const client = (token: string) =>
      new QdrantClient({
        url: stub.url,
        headers: { authorization: `Bearer ${token}` },
        checkCompatibility: false,
      });
    await expect(client(tokenOfA.token).count(tokenOfA.collection)).resolves.toEqual({ count: 0 });
    stub.take();
    await service().revokeAll(a);
    const sent = stub.take();
    expect(only(sent, 'POST', '/vg_token_grants/points/delete')).toHaveLength(1);
    await expect(client(tokenOfA.token).count(tokenOfA.collection)).rejects.toMatchObject({
      status: 401,
    });
    // The neighbour's token is untouched.
    await expect(client(tokenOfB.token).count(tokenOfB.collection)).resolves.toEqual({ count: 0 });
    const moving = makeTenantScope({
      tenantId: a.tenantId,
      tenantUid: a.tenantUid,
      placement: a.placement,
      space: a.space,
      mirror: scopeOn(backend, 'partition_key', 8, 'cosine'),
    });
    await expect(service().mint(moving, { access: 'r', ttlSeconds: 60 })).rejects.toMatchObject({
      status: 409,
    });
    expect(only(stub.take(), 'PUT', '/vg_token_grants/points')).toEqual([]);
  });
});

describe('deadlines on the wire', () => {
  it('abandons a search Qdrant has not answered when the request’s deadline passes', async () => {
    const scope = await provisioned('partition_key');
    // The first call of a process checks the collection's namespace index; do it before the
    // deadline is armed, so the 200 ms budget is the search's alone however loaded the machine.
    await backend.count(scope);
    stub.take();
    stub.intercept = (r) =>
      r.path.endsWith('/points/query')
        ? { status: 200, body: { result: { points: [] }, status: 'ok', time: 0 }, delayMs: 3000 }
        : undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new DeadlineExceededError()), 200);
    const started = Date.now();
    await expect(
      backend.search(
        scope,
        { vector: new Float32Array(8).fill(1), topK: 1, ...NONE },
        { signal: controller.signal },
      ),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(only(stub.take(), 'POST', '/points/query')).toHaveLength(1);
  });

  it('sends no write once the request’s deadline has passed', async () => {
    const scope = await provisioned('partition_key');
    stub.take();
    const controller = new AbortController();
    controller.abort(new DeadlineExceededError());
    await expect(
      backend.upsert(scope, [write('w', [1, 0, 0, 0, 0, 0, 0, 0])], { signal: controller.signal }),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(only(stub.take(), 'PUT', '/points')).toHaveLength(0);
  });
});
