import * as grpc from '@grpc/grpc-js';
import { makeTenantScope, TenantScope } from '@vecgate/isolation';
import { MilvusBackend } from '@vecgate/isolation/backends/milvus/milvus.backend';
import { createMilvusClient } from '@vecgate/isolation/backends/milvus/milvus.client';
import { MilvusStrategy } from '@vecgate/isolation/backends/milvus/milvus.naming';
import type { MilvusClient, RowData } from '@zilliz/milvus2-sdk-node';
import { NAMESPACE_FIELD_SCHEMA, PLACES } from './expected';
import { A, B, columns, milvusOptions, pick, scopeOf, tv } from './fixtures';
import { Message, MilvusStub } from './stub';

const STRATEGIES = ['database', 'collection', 'partition', 'partition_key'] as const;
const ALL = { includeValues: true, includeMetadata: true } as const;
const NONE = { includeValues: false, includeMetadata: false } as const;
const SCOPE = '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns})';
const READ = ['db_name', 'collection_name', 'partition_names', 'expr', 'expr_template_values'];

function inNamespace(scope: TenantScope, namespace: string): TenantScope {
  const { tenantId, tenantUid, placement, space } = scope;
  return makeTenantScope({ tenantId, tenantUid, placement, space, namespace });
}

function vector(...values: number[]): Float32Array {
  return Float32Array.from(values);
}

describe.each(STRATEGIES)('Milvus wire: namespaces, strategy %s', (strategy) => {
  const place = PLACES[strategy];
  const where = { db_name: place.database, collection_name: place.collection };
  const partitionNames = place.partition ? [place.partition] : [];
  let stub: MilvusStub;
  let backend: MilvusBackend;
  let a: TenantScope;
  let docs: TenantScope;

  beforeAll(async () => {
    stub = new MilvusStub();
    backend = new MilvusBackend(milvusOptions(await stub.start()));
    a = scopeOf(backend, strategy, A);
    docs = inNamespace(a, 'docs:v2');
    await backend.provision(a);
  });

  afterAll(async () => {
    await backend.close();
    await stub.stop();
  });

  beforeEach(() => stub.reset());

  it('writes a named namespace into the primary key and _vg_ns; the default namespace keeps <uid>:<id>', async () => {
    await backend.upsert(docs, [{ id: 'r/1', values: vector(1, 0, 0, 0) }]);
    await backend.upsert(a, [{ id: 'r/1', values: vector(0, 1, 0, 0) }]);
    expect(
      stub.requests('Upsert').map((r) => {
        const c = columns(r);
        return [c._vg_pk, c._vg_ns, c._vg_tenant, c._vg_id];
      }),
    ).toEqual([
      [[`${A}/docs:v2/r/1`], ['docs:v2'], [A], ['r/1']],
      [[`${A}:r/1`], [''], [A], ['r/1']],
    ]);
  });

  it('lists by primary key range, the keys, prefix and filter values all template values', async () => {
    const listed = inNamespace(a, 'list.v1');
    await backend.upsert(listed, [
      { id: '50%_a', values: vector(1, 0, 0, 0), metadata: { k: 'x' } },
      { id: '50%_b', values: vector(0, 1, 0, 0), metadata: { k: 'x' } },
      { id: '50a', values: vector(0, 0, 1, 0), metadata: { k: 'x' } },
    ]);
    const filter = { op: '$eq', field: 'k', value: 'x' } as const;
    const first = await backend.list(listed, { limit: 1, prefix: '50%', filter, ...NONE });
    expect(first.records).toEqual([{ id: '50%_a', tenantUid: A, namespace: 'list.v1' }]);
    const second = await backend.list(listed, {
      limit: 1,
      prefix: '50%',
      filter,
      cursor: first.next,
      ...NONE,
    });
    expect(second.records.map((r) => r.id)).toEqual(['50%_b']);
    const third = await backend.list(listed, {
      limit: 1,
      prefix: '50%',
      filter,
      cursor: second.next,
      ...NONE,
    });
    expect(third).toEqual({ records: [] });
    const values = { vg_tenant: tv.str(A), vg_ns: tv.str('list.v1') };
    const range = '_vg_pk > {p0} && _vg_pk >= {p1}';
    const user = 'json_contains(_vg_filter["str"]["k"], {p2})';
    const key = (id: string) => tv.str(`${A}/list.v1/${id}`);
    expect(stub.requests('Query').map((r) => pick(r, READ))).toEqual(
      ['', '50%_a', '50%_b'].map((after) => ({
        ...where,
        partition_names: partitionNames,
        expr: `${SCOPE} && (${range} && (${user}))`,
        expr_template_values: { ...values, p0: key(after), p1: key('50%'), p2: tv.str('x') },
      })),
    );
    await expect(backend.delete(listed, { kind: 'all' })).resolves.toEqual({ deleted: 3 });
  });

  it('sends the namespace as a template value beside the tenant in every read and delete', async () => {
    const found = await backend.fetch(docs, ['r/1'], ALL);
    expect(found).toEqual([
      {
        id: 'r/1',
        tenantUid: A,
        namespace: 'docs:v2',
        values: vector(1, 0, 0, 0),
        metadata: {},
      },
    ]);
    await expect(backend.count(docs)).resolves.toBe(1);
    const hits = await backend.search(docs, {
      vector: vector(0, 1, 0, 0),
      topK: 5,
      filter: { op: '$eq', field: 'k', value: 'docs' },
      ...NONE,
    });
    expect(hits).toEqual([]);
    await expect(backend.delete(docs, { kind: 'ids', ids: ['r/1'] })).resolves.toEqual({
      deleted: 1,
    });
    await expect(backend.delete(docs, { kind: 'all' })).resolves.toEqual({ deleted: 0 });
    const values = { vg_tenant: tv.str(A), vg_ns: tv.str('docs:v2') };
    const scoped = { ...where, partition_names: partitionNames };
    expect(stub.requests('Query').map((r) => pick(r, READ))).toEqual([
      {
        ...scoped,
        expr: `${SCOPE} && (_vg_pk in {vg_pks})`,
        expr_template_values: { ...values, vg_pks: tv.strs([`${A}/docs:v2/r/1`]) },
      },
      { ...scoped, expr: SCOPE, expr_template_values: values },
    ]);
    const [search] = stub.requests('Search');
    expect(pick(search!, ['dsl', 'expr_template_values', 'output_fields'])).toEqual({
      dsl: `${SCOPE} && (json_contains(_vg_filter["str"]["k"], {p0}))`,
      expr_template_values: { ...values, p0: tv.str('docs') },
      output_fields: ['_vg_id', '_vg_tenant', '_vg_ns'],
    });
    const deleted = { ...where, partition_name: place.partition ?? '' };
    expect(
      stub
        .requests('Delete')
        .map((r) =>
          pick(r, ['db_name', 'collection_name', 'partition_name', 'expr', 'expr_template_values']),
        ),
    ).toEqual([
      {
        ...deleted,
        expr: `${SCOPE} && (_vg_pk in {vg_pks})`,
        expr_template_values: { ...values, vg_pks: tv.strs([`${A}/docs:v2/r/1`]) },
      },
      { ...deleted, expr: SCOPE, expr_template_values: values },
    ]);
    // The default namespace kept its record.
    await expect(backend.count(a)).resolves.toBe(1);
  });

  it('reports the namespace it read, never the scope one', async () => {
    stub.next('Query', {
      status: { error_code: 'Success', reason: '', code: 0 },
      fields_data: [
        { type: 'VarChar', field_name: '_vg_id', scalars: { string_data: { data: ['x'] } } },
        { type: 'VarChar', field_name: '_vg_tenant', scalars: { string_data: { data: [A] } } },
        { type: 'VarChar', field_name: '_vg_ns', scalars: { string_data: { data: ['notes'] } } },
      ],
    });
    await expect(backend.fetch(docs, ['x'], NONE)).resolves.toEqual([
      { id: 'x', tenantUid: A, namespace: 'notes' },
    ]);
  });
});

/** The fields a collection had before namespaces, as the previous release created them. */
function previousFields(partitionKey: boolean): Message[] {
  return [
    { name: '_vg_pk', data_type: 'VarChar', is_primary_key: true, max_length: 2081 },
    {
      name: '_vg_tenant',
      data_type: 'VarChar',
      max_length: 32,
      ...(partitionKey ? { is_partition_key: true } : {}),
    },
    { name: '_vg_id', data_type: 'VarChar', max_length: 2048 },
    { name: '_vg_vector', data_type: 'FloatVector', dim: 4 },
    { name: '_vg_meta', data_type: 'JSON' },
    { name: '_vg_filter', data_type: 'JSON' },
  ];
}

/** A row as the previous release wrote it: no namespace, the key `<uid>:<id>`. */
function previousRow(uid: string, id: string, values: number[], n: number): Message {
  return {
    _vg_pk: `${uid}:${id}`,
    _vg_tenant: uid,
    _vg_id: id,
    _vg_vector: values,
    _vg_meta: { n },
    _vg_filter: { keys: ['n'], num: { n: [n] }, min: { n }, max: { n } },
  };
}

/** Creates a tenant's place and writes its rows exactly as the previous release did. */
async function writePreviousRelease(
  client: MilvusClient,
  strategy: MilvusStrategy,
  place: { database: string; collection: string; partition?: string },
  rows: Message[],
): Promise<void> {
  const names = { db_name: place.database, collection_name: place.collection };
  if (strategy === 'database') await client.createDatabase({ db_name: place.database });
  await client.createCollection({
    ...names,
    description: 'vecgate records',
    fields: previousFields(strategy === 'partition_key') as never,
    consistency_level: 'Strong',
    enable_dynamic_field: false,
  });
  await client.createIndex({
    ...names,
    field_name: '_vg_vector',
    index_name: '_vg_vector_index',
    index_type: 'AUTOINDEX',
    metric_type: 'COSINE',
  });
  await client.loadCollectionAsync(names);
  if (place.partition) await client.createPartition({ ...names, partition_name: place.partition });
  const partition = place.partition ? { partition_name: place.partition } : {};
  const res = await client.upsert({ ...names, ...partition, data: rows as RowData[] });
  expect(Number(res.upsert_cnt)).toBe(rows.length);
}

describe.each(STRATEGIES)(
  'Milvus wire: a collection written by the previous release, strategy %s',
  (strategy) => {
    const place = PLACES[strategy];
    const shared = strategy === 'partition' || strategy === 'partition_key';
    let stub: MilvusStub;
    let address: string;

    beforeEach(async () => {
      stub = new MilvusStub();
      address = await stub.start();
      const client = createMilvusClient(milvusOptions(address));
      try {
        const rows = [previousRow(A, 'r1', [1, 0, 0, 0], 1), previousRow(A, 'r2', [0, 1, 0, 0], 2)];
        // In a shared collection without partitions, the other tenant's rows sit beside A's.
        if (strategy === 'partition_key') rows.push(previousRow(B, 'r1', [1, 0, 0, 0], 9));
        await writePreviousRelease(client, strategy, place, rows);
      } finally {
        await client.closeConnection();
      }
      stub.reset();
    });

    afterEach(async () => {
      await stub.stop();
    });

    it('is upgraded in place on first use: its records are the default namespace, keys unchanged', async () => {
      const backend = new MilvusBackend(milvusOptions(address));
      try {
        const a = scopeOf(backend, strategy, A);
        const found = await backend.fetch(a, ['r1', 'r2'], ALL);
        expect(found).toEqual([
          { id: 'r1', tenantUid: A, namespace: '', values: vector(1, 0, 0, 0), metadata: { n: 1 } },
          { id: 'r2', tenantUid: A, namespace: '', values: vector(0, 1, 0, 0), metadata: { n: 2 } },
        ]);
        // One fresh describe; Milvus 2.6 has no AlterCollectionSchema, so the SDK adds the
        // field through AddCollectionField; then the scoped query. Nothing is rewritten.
        expect(stub.methods()).toEqual([
          'DescribeCollection',
          'AlterCollectionSchema',
          'AddCollectionField',
          'Query',
        ]);
        const [add] = stub.requests('AddCollectionField');
        expect(pick(add!, ['db_name', 'collection_name'])).toEqual({
          db_name: place.database,
          collection_name: place.collection,
        });
        const field = pick(stub.fieldOf(add!), Object.keys(NAMESPACE_FIELD_SCHEMA));
        expect(field).toEqual(NAMESPACE_FIELD_SCHEMA);
        expect(pick(stub.requests('Query')[0]!, ['expr', 'expr_template_values'])).toEqual({
          expr: `${SCOPE} && (_vg_pk in {vg_pks})`,
          expr_template_values: {
            vg_tenant: tv.str(A),
            vg_ns: tv.str(''),
            vg_pks: tv.strs([`${A}:r1`, `${A}:r2`]),
          },
        });

        stub.reset();
        await expect(backend.count(a)).resolves.toBe(2);
        expect(stub.methods()).toEqual(['Query']);
        const hits = await backend.search(a, { vector: vector(0, 1, 0, 0), topK: 5, ...NONE });
        expect(hits.map((h) => [h.id, h.namespace])).toEqual([
          ['r2', ''],
          ['r1', ''],
        ]);
        const filtered = await backend.search(a, {
          vector: vector(0, 1, 0, 0),
          topK: 5,
          filter: { op: '$gte', field: 'n', value: 2 },
          ...NONE,
        });
        expect(filtered.map((h) => h.id)).toEqual(['r2']);

        // A named namespace starts empty; the same id there is another record.
        const docs = inNamespace(a, 'docs');
        await expect(backend.count(docs)).resolves.toBe(0);
        await expect(backend.fetch(docs, ['r1'], ALL)).resolves.toEqual([]);
        await backend.upsert(docs, [{ id: 'r1', values: vector(0, 0, 1, 0), metadata: { n: 3 } }]);
        const old = await backend.fetch(a, ['r1'], ALL);
        expect(old.map((r) => [r.namespace, Array.from(r.values!), r.metadata])).toEqual([
          ['', [1, 0, 0, 0], { n: 1 }],
        ]);
        await expect(backend.delete(a, { kind: 'all' })).resolves.toEqual({ deleted: 2 });
        await expect(backend.count(docs)).resolves.toBe(1);

        const report = await backend.erase(a);
        expect(report.places.map((p) => p.remaining)).toEqual([0]);
        if (strategy === 'partition_key') {
          await expect(backend.count(docs)).resolves.toBe(0);
          await expect(backend.count(scopeOf(backend, strategy, B))).resolves.toBe(1);
        }
      } finally {
        await backend.close();
      }
    });

    it('is upgraded once when two gateway replicas reach it at the same moment', async () => {
      const collection = stub.databases.get(place.database)!.get(place.collection)!;
      const before = structuredClone(collection.schema);
      const first = new MilvusBackend(milvusOptions(address));
      const second = new MilvusBackend(milvusOptions(address));
      try {
        await expect(first.count(scopeOf(first, strategy, A))).resolves.toBe(2);
        stub.reset();
        // The second replica described the collection before the first one added the field.
        stub.next('DescribeCollection', {
          status: { error_code: 'Success', reason: '', code: 0 },
          schema: before,
          collection_name: place.collection,
          db_name: place.database,
          collectionID: '1',
          consistency_level: 'Strong',
          num_partitions: '1',
        });
        await expect(second.count(scopeOf(second, strategy, A))).resolves.toBe(2);
        expect(stub.methods()).toEqual([
          'DescribeCollection',
          'AlterCollectionSchema',
          'AddCollectionField',
          'DescribeCollection',
          'Query',
        ]);
        const fields = (collection.schema.fields as Message[]).map((f) => f.name);
        expect(fields.filter((name) => name === '_vg_ns')).toHaveLength(1);
      } finally {
        await first.close();
        await second.close();
      }
    });

    it('answers a clear 502, and reads nothing, where Milvus cannot add a field (before 2.6)', async () => {
      stub.answerAlways('AddCollectionField', {
        grpcError: grpc.status.UNIMPLEMENTED,
        details: 'unknown method AddCollectionField',
      });
      const backend = new MilvusBackend(milvusOptions(address));
      try {
        const error = (await backend
          .count(scopeOf(backend, strategy, A))
          .catch((e: unknown) => e)) as {
          status?: number;
          message?: string;
        };
        expect({ status: error.status, message: error.message }).toEqual({
          status: 502,
          message: `Milvus could not add the namespace field to collection ${place.collection} (adding a field to an existing collection needs Milvus 2.6 or later)`,
        });
        expect(stub.methods()).not.toContain('Query');
      } finally {
        await backend.close();
      }
    });

    it('is upgraded by provisioning another tenant into it, when it is shared', async () => {
      if (!shared) return;
      const backend = new MilvusBackend(milvusOptions(address));
      try {
        const b = scopeOf(backend, strategy, B);
        await backend.provision(b);
        expect(stub.methods().filter((m) => /^(Create|Add|Drop)/.test(m))).toEqual(
          strategy === 'partition'
            ? ['AddCollectionField', 'CreatePartition']
            : ['AddCollectionField'],
        );
        stub.reset();
        await expect(backend.count(scopeOf(backend, strategy, A))).resolves.toBe(2);
        expect(stub.methods()).toEqual(['Query']);
      } finally {
        await backend.close();
      }
    });
  },
);
