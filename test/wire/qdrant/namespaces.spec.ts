import { QdrantClient } from '@qdrant/js-client-rest';
import { makeTenantScope, TenantScope } from '@vecgate/isolation';
import { QdrantBackend } from '@vecgate/isolation/backends/qdrant';
import { pointId } from '@vecgate/isolation/backends/qdrant/qdrant.point-id';
import { scopeOn, stubOptions } from './fixtures';
import { Json, Payload } from './filter-model';
import { QdrantStub, RecordedRequest } from './stub';

/**
 * Namespaces on the wire, through the real client against the stub: the namespace is part of
 * every point's key and payload and of the scope condition of every scroll, query, count and
 * delete; erasure goes by the tenant alone; and points written by the release before
 * namespaces (no `_vg_ns`, no namespace index) are the default namespace's after an upgrade.
 */

const KEY = 'wire-test-qdrant-namespaces-key';
const ALL = { includeValues: true, includeMetadata: true } as const;
const STRATEGIES = ['collection', 'partition_key', 'partition'] as const;
const TENANT = (uid: string) => ({ key: '_vg_tenant', match: { value: uid } });
const NS = (name: string) => ({ key: '_vg_ns', match: { value: name } });
const DEFAULT_NS = { should: [NS(''), { is_empty: { key: '_vg_ns' } }] };
const DATA_CALL = /\/points\/(scroll|count|query|delete)$/;

let stub: QdrantStub;
let backend: QdrantBackend;

beforeAll(async () => {
  stub = await QdrantStub.start({ distributed: true, apiKey: KEY });
  backend = new QdrantBackend(stubOptions(stub.url, { apiKey: KEY }));
});

afterAll(async () => {
  await backend.close();
  await stub.close();
});

function inNamespace(scope: TenantScope, namespace: string): TenantScope {
  const { tenantId, tenantUid, placement, space } = scope;
  return makeTenantScope({ tenantId, tenantUid, placement, space, namespace });
}

const values = (first: number) => Float32Array.from([first, 1, 0, 0, 0, 0, 0, 0]);

async function provisioned(driver: QdrantBackend, strategy: (typeof STRATEGIES)[number]) {
  const scope = scopeOn(driver, strategy, 8, 'dot');
  await driver.provision(scope);
  return scope;
}

function filters(requests: readonly RecordedRequest[]): unknown[][] {
  return requests
    .filter((r) => DATA_CALL.test(r.path))
    .map((r) => (r.body as { filter: { must: unknown[] } }).filter.must);
}

describe.each(STRATEGIES)('namespaces on the %s strategy', (strategy) => {
  it('keys a point by (tenant uid, namespace, id) and stores the namespace in its payload', async () => {
    const scope = await provisioned(backend, strategy);
    const docs = inNamespace(scope, 'docs');
    stub.take();
    await backend.upsert(scope, [{ id: 'r', values: values(1), metadata: { k: 'default' } }]);
    await backend.upsert(docs, [{ id: 'r', values: values(2), metadata: { k: 'docs' } }]);
    const [inDefault, inDocs] = stub.take().map((r) => r.body as { points: unknown[] });
    const payload = (namespace: string, k: string) => ({
      _vg_tenant: scope.tenantUid,
      _vg_ns: namespace,
      _vg_id: 'r',
      _vg_keys: ['k'],
      metadata: { k },
    });
    expect(inDefault!.points).toEqual([
      {
        id: pointId(scope.tenantUid, '', 'r'),
        vector: { v: [1, 1, 0, 0, 0, 0, 0, 0] },
        payload: payload('', 'default'),
      },
    ]);
    expect(inDocs!.points).toEqual([
      {
        id: pointId(scope.tenantUid, 'docs', 'r'),
        vector: { v: [2, 1, 0, 0, 0, 0, 0, 0] },
        payload: payload('docs', 'docs'),
      },
    ]);
    const read = await backend.fetch(docs, ['r'], ALL);
    expect(read).toEqual([
      {
        id: 'r',
        tenantUid: scope.tenantUid,
        namespace: 'docs',
        values: values(2),
        metadata: { k: 'docs' },
      },
    ]);
  });

  it('puts the namespace condition right after the tenant condition on every scroll, query, count and delete', async () => {
    const scope = await provisioned(backend, strategy);
    const docs = inNamespace(scope, 'docs');
    await backend.upsert(docs, [{ id: 'a', values: values(1), metadata: { c: 'red' } }]);
    stub.take();
    await backend.fetch(docs, ['a'], ALL);
    await backend.search(docs, { vector: values(1), topK: 3, ...ALL });
    await backend.search(docs, {
      vector: values(1),
      topK: 3,
      filter: { op: '$eq', field: 'c', value: 'red' },
      ...ALL,
    });
    await backend.count(docs);
    await backend.delete(docs, { kind: 'ids', ids: ['a'] });
    await backend.delete(docs, { kind: 'filter', filter: { op: '$eq', field: 'c', value: 'red' } });
    await backend.delete(docs, { kind: 'all' });
    const requests = stub.take();
    const sent = filters(requests);
    // fetch, 2 queries, count, and a count before each delete (the last two find nothing).
    expect(sent).toHaveLength(8);
    for (const must of sent)
      expect(must.slice(0, 2)).toEqual([TENANT(scope.tenantUid), NS('docs')]);
    const [scroll] = requests.filter((r) => r.path.endsWith('/points/scroll'));
    expect((scroll!.body as { filter: unknown }).filter).toEqual({
      must: [
        TENANT(scope.tenantUid),
        NS('docs'),
        { has_id: [pointId(scope.tenantUid, 'docs', 'a')] },
      ],
    });
    const shardKeys = requests.map(
      (r) => (r.body as { shard_key?: string } | undefined)?.shard_key,
    );
    const expected = strategy === 'partition' ? scope.tenantUid : undefined;
    for (const key of shardKeys.filter((_, i) => DATA_CALL.test(requests[i]!.path))) {
      expect(key).toBe(expected);
    }
  });

  it('erases every namespace of the tenant with the tenant condition alone, and no other tenant', async () => {
    const scope = await provisioned(backend, strategy);
    const other = await provisioned(backend, strategy);
    for (const namespace of ['', 'docs', 'notes']) {
      await backend.upsert(inNamespace(scope, namespace), [{ id: 'x', values: values(1) }]);
      await backend.upsert(inNamespace(other, namespace), [{ id: 'x', values: values(1) }]);
    }
    stub.take();
    const report = await backend.erase(scope);
    for (const place of report.places) expect(place.remaining).toBe(0);
    for (const must of filters(stub.take())) expect(must).toEqual([TENANT(scope.tenantUid)]);
    const left = [...stub.model.collections.values()].flatMap((c) => [...c.points.values()]);
    expect(left.filter((p) => p.payload._vg_tenant === scope.tenantUid)).toEqual([]);
    for (const namespace of ['', 'docs', 'notes']) {
      expect(await backend.count(inNamespace(other, namespace))).toBe(1);
    }
  });
});

describe('a minted Qdrant token and namespaces', () => {
  it('opens the tenant’s whole collection, every namespace in it, and nothing else', async () => {
    const scope = await provisioned(backend, 'collection');
    const other = await provisioned(backend, 'collection');
    for (const namespace of ['', 'docs', 'notes']) {
      await backend.upsert(inNamespace(scope, namespace), [{ id: 'x', values: values(1) }]);
    }
    await backend.upsert(other, [{ id: 'x', values: values(1) }]);
    const minted = await backend.mintToken(scope, { access: 'r', ttlSeconds: 60 });
    const holder = new QdrantClient({
      url: minted.url,
      headers: { authorization: `Bearer ${minted.token}` },
      checkCompatibility: false,
    });
    // Qdrant's access rules name collections, not payload values: all three namespaces.
    const { points } = await holder.scroll(minted.collection, { limit: 10, with_payload: true });
    expect(points.map((p) => p.payload?._vg_ns).sort()).toEqual(['', 'docs', 'notes']);
    await expect(holder.count(other.placement.location.collection!)).rejects.toMatchObject({
      status: 403,
    });
    await backend.erase(scope);
    await backend.erase(other);
  });
});

describe('the default namespace on Qdrant’s is_empty semantics', () => {
  it('holds the points whose _vg_ns is missing, "", null or [], and a named namespace its value', async () => {
    const scope = await provisioned(backend, 'partition_key');
    const points = stub.model.collections.get(scope.placement.location.collection!)!.points;
    // Written around the gateway (a minted token, an older release): each shape of the field.
    const shapes: Record<string, Json | undefined> = {
      missing: undefined,
      blank: '',
      null: null,
      none: [],
      docs: 'docs',
      number: 5,
      listed: ['docs'],
    };
    for (const [id, ns] of Object.entries(shapes)) {
      const payload: Payload = { _vg_tenant: scope.tenantUid, _vg_id: id };
      if (ns !== undefined) payload._vg_ns = ns;
      points.set(`${scope.tenantUid}-${id}`, { id, vectors: { v: values(1) }, payload });
    }
    const found = async (namespace: string): Promise<string[]> =>
      (await backend.search(inNamespace(scope, namespace), { vector: values(1), topK: 20, ...ALL }))
        .map((h) => `${h.id}:${h.namespace}`)
        .sort();
    expect(await found('')).toEqual(['blank:', 'missing:', 'none:', 'null:']);
    expect(await backend.count(scope)).toBe(4);
    // Qdrant matches a keyword against each element of an array, so ["docs"] is found there;
    // it reads back as no namespace, which result validation refuses (and reports).
    expect(await found('docs')).toEqual(['docs:docs', 'listed:']);
  });
});

/**
 * What the release before namespaces wrote: the same collections and ids, points without
 * `_vg_ns`, and only the tenant index. Built with the plain client, as that release sent it.
 */
async function writtenByPreviousRelease(on: QdrantStub, scope: TenantScope): Promise<void> {
  const client = new QdrantClient({
    url: on.url,
    headers: { 'api-key': KEY },
    checkCompatibility: false,
  });
  const collection = scope.placement.location.collection!;
  const shardKey = scope.placement.location.shardKey;
  const shared = scope.placement.strategy !== 'collection';
  if (!(await client.collectionExists(collection)).exists) {
    await client.createCollection(collection, {
      vectors: { v: { size: 8, distance: 'Dot' } },
      ...(scope.placement.strategy === 'partition' ? { sharding_method: 'custom' as const } : {}),
    });
    await client.createPayloadIndex(collection, {
      field_name: '_vg_tenant',
      field_schema: { type: 'keyword', is_tenant: shared },
      wait: true,
    });
  }
  if (shardKey) await client.createShardKey(collection, { shard_key: shardKey });
  await client.upsert(collection, {
    wait: true,
    ...(shardKey ? { shard_key: shardKey } : {}),
    points: ['old-1', 'old-2'].map((id, i) => ({
      id: pointId(scope.tenantUid, '', id),
      vector: { v: Array.from(values(i + 1)) },
      payload: {
        _vg_tenant: scope.tenantUid,
        _vg_id: id,
        _vg_keys: ['era'],
        metadata: { era: 'before' },
      },
    })),
  });
}

describe.each(STRATEGIES)('upgrading a %s tenant written before namespaces', (strategy) => {
  // A server of its own: the shared collections there are the previous release's.
  let old: QdrantStub;

  beforeEach(async () => {
    old = await QdrantStub.start({ distributed: true, apiKey: KEY });
  });

  afterEach(() => old.close());

  it('reads its points as the default namespace’s, under the same ids, and adds the namespace index once', async () => {
    const planner = new QdrantBackend(stubOptions(old.url, { apiKey: KEY }));
    const scope = scopeOn(planner, strategy, 8, 'dot');
    await writtenByPreviousRelease(old, scope);
    const collection = scope.placement.location.collection!;
    expect(old.model.collections.get(collection)!.payloadSchema._vg_ns).toBeUndefined();
    old.take();

    // A new gateway process, on the new code, opens the tenant: no provisioning runs again.
    const upgraded = new QdrantBackend(stubOptions(old.url, { apiKey: KEY }));
    const found = await upgraded.fetch(scope, ['old-1', 'old-2'], ALL);
    expect(found.sort((x, y) => x.id.localeCompare(y.id))).toEqual(
      ['old-1', 'old-2'].map((id, i) => ({
        id,
        tenantUid: scope.tenantUid,
        namespace: '',
        values: values(i + 1),
        metadata: { era: 'before' },
      })),
    );
    const first = old.take();
    expect(QdrantStub.lines(first)).toEqual([
      `GET /collections/${collection}`,
      `PUT /collections/${collection}/index?wait=false`,
      `POST /collections/${collection}/points/scroll`,
    ]);
    expect(first[1]!.body).toEqual({ field_name: '_vg_ns', field_schema: { type: 'keyword' } });
    expect((first[2]!.body as { filter: unknown }).filter).toEqual({
      must: [
        TENANT(scope.tenantUid),
        DEFAULT_NS,
        { has_id: ['old-1', 'old-2'].map((id) => pointId(scope.tenantUid, '', id)) },
      ],
    });
    expect(old.model.collections.get(collection)!.payloadSchema._vg_ns).toMatchObject({
      data_type: 'keyword',
    });

    const hits = await upgraded.search(scope, { vector: values(2), topK: 10, ...ALL });
    expect(hits.map((h) => [h.id, h.namespace])).toEqual([
      ['old-2', ''],
      ['old-1', ''],
    ]);
    expect(await upgraded.count(scope)).toBe(2);
    expect(await upgraded.count(inNamespace(scope, 'docs'))).toBe(0);
    expect(await upgraded.fetch(inNamespace(scope, 'docs'), ['old-1'], ALL)).toEqual([]);
    // Only the first call looked at the indexes.
    expect(QdrantStub.lines(old.take()).filter((l) => !l.includes('/points/'))).toEqual([]);

    // A write of an old id in the default namespace replaces the old point (the same point id).
    await upgraded.upsert(scope, [{ id: 'old-1', values: values(5), metadata: { era: 'after' } }]);
    expect(await upgraded.count(scope)).toBe(2);
    expect(await upgraded.fetch(scope, ['old-1'], ALL)).toEqual([
      {
        id: 'old-1',
        tenantUid: scope.tenantUid,
        namespace: '',
        values: values(5),
        metadata: { era: 'after' },
      },
    ]);
    // Emptying another namespace leaves them; emptying the default one removes old and new.
    await expect(upgraded.delete(inNamespace(scope, 'docs'), { kind: 'all' })).resolves.toEqual({
      deleted: 0,
    });
    await expect(upgraded.delete(scope, { kind: 'all' })).resolves.toEqual({ deleted: 2 });
    expect(await upgraded.count(scope)).toBe(0);
    await upgraded.erase(scope);
  });

  it('provisioning again adds the missing namespace index and nothing else', async () => {
    const scope = scopeOn(
      new QdrantBackend(stubOptions(old.url, { apiKey: KEY })),
      strategy,
      8,
      'dot',
    );
    await writtenByPreviousRelease(old, scope);
    const collection = scope.placement.location.collection!;
    const again = new QdrantBackend(stubOptions(old.url, { apiKey: KEY }));
    old.take();
    await again.provision(scope);
    const requests = old.take().filter((r) => r.path.endsWith('/index'));
    expect(requests.map((r) => [r.body, r.query])).toEqual([
      [{ field_name: '_vg_ns', field_schema: { type: 'keyword' } }, { wait: 'true' }],
    ]);
    await again.provision(scope);
    expect(old.take().filter((r) => r.path.endsWith('/index'))).toEqual([]);
    expect(await again.count(scope)).toBe(2);
    expect(old.take().map((r) => r.path)).toEqual([`/collections/${collection}/points/count`]);
    await again.erase(scope);
  });
});
