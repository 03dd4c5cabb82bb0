// The SDK's index also loads its bulk writer, whose parquet dependency pulls an ES-module-only
// `uuid` that Jest's CommonJS runtime cannot load (Node itself can). The adapter never uses
// the bulk writer; replacing that one module lets the real client load. Nothing of the
// client itself is mocked: every call below crosses gRPC to the stub server.
jest.mock('@shanghaikid/parquetjs', () => ({}));

import { FilterNode, TenantScope } from '@vecgate/isolation';
import { MilvusBackend } from '@vecgate/isolation/backends/milvus/milvus.backend';
import { createMilvusClient } from '@vecgate/isolation/backends/milvus/milvus.client';
import { MilvusStrategy } from '@vecgate/isolation/backends/milvus/milvus.naming';
import { MilvusFilter } from '@vecgate/isolation/backends/milvus/milvus.filter';
import {
  EVERY_NAMESPACE,
  SCOPE_CLAUSE,
  tenantWideFilter,
} from '@vecgate/isolation/backends/milvus/milvus.scope';
import {
  MilvusStatements,
  StatementScope,
} from '@vecgate/isolation/backends/milvus/milvus.statements';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  A,
  B,
  C,
  columns,
  forged,
  hostileValue,
  milvusOptions,
  pick,
  scopeOf,
  TOKEN,
  tv,
  withLocation,
  withMilvusStub,
  expectFields,
  placeOf,
} from './milvus/fixtures';
import { rng } from '../support/rng';
import { CA_CERT, CLIENT_CERT, CLIENT_KEY, SERVER_CERT, SERVER_KEY } from './milvus/test-pki';
import { expectedErasure, expectedSchema, PLACES, PROVISION_CALLS } from './milvus/expected';
import { failure, Message, MilvusStub, OK, queryAnswer, searchAnswer } from './milvus/stub';

const ALL = { includeValues: true, includeMetadata: true } as const;
const NONE = { includeValues: false, includeMetadata: false } as const;
const AUTH = Buffer.from(TOKEN).toString('base64');

const DATA_METHODS = ['Search', 'Query', 'Delete', 'Upsert', 'DescribeCollection'];

/** The fields of a CreateCollection schema that matter, per field. */
function schemaFields(stub: MilvusStub, request: Message): Message[] {
  const schema = stub.schemaOf(request);
  return (schema.fields as Message[]).map((f) =>
    pick(f, [
      'name',
      'data_type',
      'is_primary_key',
      'is_partition_key',
      'type_params',
      'nullable',
      'default_value',
    ]),
  );
}

/** A record as the backend returns it: of tenant A, in the default namespace, unless `more` says. */
function returned(id: string, values: number[], metadata: object, more: object = {}): object {
  return { id, tenantUid: A, namespace: '', values: Float32Array.from(values), metadata, ...more };
}

/** A plain search of `scope`: three nearest, neither values nor metadata. */
function searchOnce(backend: MilvusBackend, scope: TenantScope): Promise<unknown> {
  return backend.search(scope, { vector: Float32Array.from([1, 0, 0, 0]), topK: 3, ...NONE });
}

/** Expects `attempt` to fail with `status` and exactly `message`. */
async function expectRefusal(
  attempt: Promise<unknown>,
  status: number,
  message: string,
): Promise<void> {
  const error = await rejection(attempt);
  expect({ status: error.status, message: error.message }).toEqual({ status, message });
}

async function rejection(promise: Promise<unknown>): Promise<Error & { status?: number }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { status?: number };
  }
  throw new Error('expected a rejection');
}

describe.each(['database', 'collection', 'partition', 'partition_key'] as const)(
  'Milvus wire, strategy %s',
  (strategy) => {
    const place = PLACES[strategy];
    const partitionNames = place.partition ? [place.partition] : [];
    let stub: MilvusStub;
    let backend: MilvusBackend;
    let a: TenantScope;
    let provisionCalls: typeof stub.calls;

    withMilvusStub(async (milvus) => {
      ({ stub, backend } = milvus);
      a = scopeOf(backend, strategy, A);
      await backend.provision(a);
      provisionCalls = [...stub.calls];
    });

    it('names the tenant place from its uid', () => {
      expect(a.placement).toEqual({ backend: 'milvus', strategy, location: place });
    });

    it('provisions with db_name on every call and never switches the client database', () => {
      expect(provisionCalls.map((c) => c.method)).toEqual(PROVISION_CALLS[strategy]);
      for (const call of provisionCalls) {
        expect(call.metadata.dbname).toBe('default');
        expect(call.metadata.authorization).toBe(AUTH);
        if (call.method !== 'ListDatabases') expect(call.request.db_name).not.toBe('');
      }
      const creating = provisionCalls
        .filter((c) => /^(Create|Load|GetLoadState|HasPartition)/.test(c.method))
        .map((c) => placeOf(c, ['consistency_level', 'field_name', 'index_name', 'extra_params']));
      const names = { db_name: place.database, collection_name: place.collection };
      const expected: [string, Message][] = [
        ...(strategy === 'database'
          ? ([['CreateDatabase', { db_name: place.database }]] as [string, Message][])
          : []),
        ['CreateCollection', { ...names, consistency_level: 'Strong' }],
        [
          'CreateIndex',
          {
            ...names,
            field_name: '_vg_vector',
            index_name: '_vg_vector_index',
            extra_params: [
              { key: 'index_type', value: 'AUTOINDEX' },
              { key: 'metric_type', value: 'COSINE' },
            ],
          },
        ],
        ['LoadCollection', names],
        ['GetLoadState', { ...names, partition_names: [] }],
      ];
      if (place.partition) {
        const partition = { ...names, partition_name: place.partition };
        expected.push(
          ['HasPartition', partition],
          ['CreatePartition', partition],
          ['LoadPartitions', { ...names, partition_names: [place.partition] }],
          ['GetLoadState', { ...names, partition_names: [place.partition] }],
        );
      }
      expect(creating).toEqual(expected);
      const create = provisionCalls.find((c) => c.method === 'CreateCollection')!;
      expect(schemaFields(stub, create.request)).toEqual(expectedSchema(strategy));
    });

    it('creates nothing when provisioning is repeated', async () => {
      await backend.provision(a);
      expect(stub.methods().filter((m) => /^(Create|Drop)/.test(m))).toEqual([]);
    });

    it('gives a second tenant its own place, or the same shared one', async () => {
      const b = scopeOf(backend, strategy, B);
      await backend.provision(b);
      const created = stub.calls
        .filter((c) => /^Create/.test(c.method))
        .map((c) => [c.method, pick(c.request, ['db_name', 'collection_name', 'partition_name'])]);
      const expected: Record<MilvusStrategy, unknown[]> = {
        database: [
          ['CreateDatabase', { db_name: `vg_t_${B}` }],
          ['CreateCollection', { db_name: `vg_t_${B}`, collection_name: 'vg_records' }],
          ['CreateIndex', { db_name: `vg_t_${B}`, collection_name: 'vg_records' }],
        ],
        collection: [
          ['CreateCollection', { db_name: 'default', collection_name: `vg_t_${B}` }],
          ['CreateIndex', { db_name: 'default', collection_name: `vg_t_${B}` }],
        ],
        partition: [
          [
            'CreatePartition',
            {
              db_name: 'default',
              collection_name: 'vg_shared_4_cosine_part',
              partition_name: `vg_t_${B}`,
            },
          ],
        ],
        partition_key: [],
      };
      expect(created).toEqual(expected[strategy]);
    });

    it('upserts uid-prefixed primary keys, the stored tenant uid, ids, vectors and metadata', async () => {
      await expect(
        backend.upsert(a, [
          {
            id: 'r1',
            values: Float32Array.from([1, 0, 0, 0]),
            metadata: { color: 'red', n: [1, 2.5] },
          },
          { id: 'x:y', values: Float32Array.from([0, 0.5, 0, -1]) },
        ]),
      ).resolves.toEqual({ upserted: 2 });
      const [upsert, ...more] = stub.requests('Upsert');
      expect(more).toEqual([]);
      expect(pick(upsert!, ['db_name', 'collection_name', 'partition_name', 'num_rows'])).toEqual({
        db_name: place.database,
        collection_name: place.collection,
        partition_name: place.partition ?? '',
        num_rows: 2,
      });
      expect(columns(upsert!)).toEqual({
        _vg_pk: [`${A}:r1`, `${A}:x:y`],
        _vg_tenant: [A, A],
        _vg_ns: ['', ''],
        _vg_id: ['r1', 'x:y'],
        _vg_vector: [1, 0, 0, 0, 0, 0.5, 0, -1],
        _vg_meta: [{ color: 'red', n: [1, 2.5] }, {}],
        _vg_filter: [
          {
            keys: ['color', 'n'],
            str: { color: ['red'] },
            num: { n: [1, 2.5] },
            min: { n: 1 },
            max: { n: 2.5 },
          },
          { keys: [] },
        ],
      });
    });

    it('searches with the tenant condition and the filter as templates, hostile values as values only', async () => {
      stub.next(
        'Search',
        searchAnswer([
          {
            _vg_pk: `${A}:r1`,
            _vg_id: 'r1',
            _vg_tenant: A,
            _vg_ns: '',
            _vg_meta: { color: 'red' },
            _vg_vector: [1, 0, 0, 0],
            score: 0.5,
          },
          {
            _vg_pk: `${A}:r2`,
            _vg_id: 'r2',
            _vg_tenant: A,
            _vg_ns: '',
            _vg_meta: {},
            _vg_vector: [0, 1, 0, 0],
            score: 0.75,
          },
        ]),
      );
      const filter: FilterNode = {
        op: '$and',
        nodes: [
          { op: '$eq', field: 'color', value: '" || true || "' },
          { op: '$ne', field: 'quote', value: `it's \\"x\\"` },
          { op: '$in', field: 'tag', values: ['a\u0000b', '𝕋énant 🦄', 3, 7] },
          { op: '$gt', field: 'n', value: 5 },
        ],
      };
      const hits = await backend.search(a, {
        vector: Float32Array.from([1, 0, 0, 0]),
        topK: 7,
        filter,
        ...ALL,
      });
      expect(hits).toEqual([
        returned('r2', [0, 1, 0, 0], {}, { score: 0.75 }),
        returned('r1', [1, 0, 0, 0], { color: 'red' }, { score: 0.5 }),
      ]);
      const [search] = stub.requests('Search');
      expectFields(search, {
        db_name: place.database,
        collection_name: place.collection,
        partition_names: partitionNames,
        dsl:
          '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && ((json_contains(_vg_filter["str"]["color"], {p0}) && ' +
          '(json_contains(_vg_filter["keys"], {p1}) && !json_contains(_vg_filter["str"]["quote"], {p2})) && ' +
          '(json_contains_any(_vg_filter["str"]["tag"], {p3}) || json_contains_any(_vg_filter["num"]["tag"], {p4})) && ' +
          '_vg_filter["max"]["n"] > {p5}))',
        dsl_type: 'BoolExprV1',
        expr_template_values: {
          p0: tv.str('" || true || "'),
          p1: tv.str('quote'),
          p2: tv.str(`it's \\"x\\"`),
          p3: tv.strs(['a\u0000b', '𝕋énant 🦄']),
          p4: tv.ints([3, 7]),
          p5: tv.int(5),
          vg_tenant: tv.str(A),
          vg_ns: tv.str(''),
        },
        output_fields: ['_vg_id', '_vg_tenant', '_vg_ns', '_vg_vector', '_vg_meta'],
        consistency_level: 'Strong',
        use_default_consistency: false,
        nq: '1',
      });
      expect(search!.search_params).toEqual(
        expect.arrayContaining([
          { key: 'anns_field', value: '_vg_vector' },
          { key: 'topk', value: '7' },
          { key: 'metric_type', value: 'COSINE' },
        ]),
      );
    });

    it('keeps random hostile values out of every expression it sends', async () => {
      const next = rng(strategy.length * 7919);
      for (let n = 0; n < 25; n++) {
        const value = hostileValue(next);
        stub.reset();
        await backend.search(a, {
          vector: Float32Array.from([1, 0, 0, 0]),
          topK: 3,
          filter: {
            op: '$or',
            nodes: [
              { op: '$eq', field: 's', value },
              { op: '$nin', field: 's', values: [value] },
            ],
          },
          ...NONE,
        });
        await backend.delete(a, { kind: 'filter', filter: { op: '$ne', field: 's', value } });
        const [search] = stub.requests('Search');
        const [remove] = stub.requests('Delete');
        expect(search!.dsl).toBe(
          '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && ((json_contains(_vg_filter["str"]["s"], {p0}) || ' +
            '(json_contains(_vg_filter["keys"], {p1}) && !(json_contains_any(_vg_filter["str"]["s"], {p2})))))',
        );
        expect(search!.expr_template_values).toEqual({
          p0: tv.str(value),
          p1: tv.str('s'),
          p2: tv.strs([value]),
          vg_tenant: tv.str(A),
          vg_ns: tv.str(''),
        });
        expect(remove!.expr).toBe(
          '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && ((json_contains(_vg_filter["keys"], {p0}) && !json_contains(_vg_filter["str"]["s"], {p1})))',
        );
        expect(remove!.expr_template_values).toEqual({
          p0: tv.str('s'),
          p1: tv.str(value),
          vg_tenant: tv.str(A),
          vg_ns: tv.str(''),
        });
      }
    });

    it('fetches by uid-prefixed keys inside the tenant condition and returns the uid it read', async () => {
      stub.next(
        'Query',
        queryAnswer([
          {
            _vg_id: 'r1',
            _vg_tenant: A,
            _vg_ns: '',
            _vg_vector: [1, 0, 0, 0],
            _vg_meta: { color: 'red' },
          },
          {
            _vg_id: 'x:y',
            _vg_tenant: B,
            _vg_ns: 'docs',
            _vg_vector: [0, 1, 0, 0],
            _vg_meta: { owner: 'b' },
          },
        ]),
      );
      const found = await backend.fetch(a, ['r1', 'x:y', 'r1'], ALL);
      // B's uid is reported as read: result validation upstream drops it, never this adapter.
      expect(found).toEqual([
        returned('r1', [1, 0, 0, 0], { color: 'red' }),
        returned('x:y', [0, 1, 0, 0], { owner: 'b' }, { tenantUid: B, namespace: 'docs' }),
      ]);
      const [query] = stub.requests('Query');
      expectFields(query, {
        db_name: place.database,
        collection_name: place.collection,
        partition_names: partitionNames,
        expr: '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && (_vg_pk in {vg_pks})',
        expr_template_values: {
          vg_pks: tv.strs([`${A}:r1`, `${A}:x:y`]),
          vg_tenant: tv.str(A),
          vg_ns: tv.str(''),
        },
        output_fields: ['_vg_id', '_vg_tenant', '_vg_ns', '_vg_vector', '_vg_meta'],
        query_params: [{ key: 'limit', value: '2' }],
        consistency_level: 'Strong',
      });
    });

    it('counts only the tenant rows, with Strong consistency', async () => {
      stub.next('Query', queryAnswer([{ 'count(*)': 42 }]));
      await expect(backend.count(a)).resolves.toBe(42);
      const [query] = stub.requests('Query');
      expectFields(query, {
        db_name: place.database,
        collection_name: place.collection,
        partition_names: partitionNames,
        expr: '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns})',
        expr_template_values: { vg_tenant: tv.str(A), vg_ns: tv.str('') },
        output_fields: ['count(*)'],
        consistency_level: 'Strong',
      });
    });

    it('deletes by ids, by filter and all, always inside the tenant condition', async () => {
      stub.next('Delete', { status: OK, delete_cnt: '2' });
      stub.next('Delete', { status: OK, delete_cnt: '1' });
      stub.next('Delete', { status: OK, delete_cnt: '5' });
      await expect(backend.delete(a, { kind: 'ids', ids: ['r1', 'r2', 'r1'] })).resolves.toEqual({
        deleted: 2,
      });
      await expect(
        backend.delete(a, { kind: 'filter', filter: { op: '$lte', field: 'n', value: 2.5 } }),
      ).resolves.toEqual({ deleted: 1 });
      await expect(backend.delete(a, { kind: 'all' })).resolves.toEqual({ deleted: 5 });
      await expect(backend.delete(a, { kind: 'ids', ids: [] })).resolves.toEqual({ deleted: 0 });
      const names = {
        db_name: place.database,
        collection_name: place.collection,
        partition_name: place.partition ?? '',
        consistency_level: 'Strong',
      };
      expect(
        stub
          .requests('Delete')
          .map((r) =>
            pick(r, [
              'db_name',
              'collection_name',
              'partition_name',
              'consistency_level',
              'expr',
              'expr_template_values',
            ]),
          ),
      ).toEqual([
        {
          ...names,
          expr: '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && (_vg_pk in {vg_pks})',
          expr_template_values: {
            vg_pks: tv.strs([`${A}:r1`, `${A}:r2`]),
            vg_tenant: tv.str(A),
            vg_ns: tv.str(''),
          },
        },
        {
          ...names,
          expr: '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && (_vg_filter["min"]["n"] <= {p0})',
          expr_template_values: { p0: tv.float(2.5), vg_tenant: tv.str(A), vg_ns: tv.str('') },
        },
        {
          ...names,
          expr: '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns})',
          expr_template_values: { vg_tenant: tv.str(A), vg_ns: tv.str('') },
        },
      ]);
    });

    it('turns a non-success status into a 502, never an empty result', async () => {
      // Milvus's reason can quote stored values: it stays the error's cause, out of the message.
      const reason = 'boom near "secret value"';
      const boom = { status: failure(65535, reason) };
      const cases: [string, () => Promise<unknown>, string][] = [
        ['Search', () => searchOnce(backend, a), 'search'],
        ['Query', () => backend.fetch(a, ['r1'], NONE), 'query'],
        ['Query', () => backend.count(a), 'query'],
        ['Delete', () => backend.delete(a, { kind: 'all' }), 'delete'],
        [
          'Upsert',
          () => backend.upsert(a, [{ id: 'r', values: Float32Array.from([1, 0, 0, 0]) }]),
          'upsert',
        ],
      ];
      for (const [method, call, operation] of cases) {
        stub.next(method, boom);
        const error = await rejection(call());
        expect({ status: error.status, message: error.message, cause: error.cause }).toEqual({
          status: 502,
          message: `Milvus ${operation} failed: code 65535`,
          cause: reason,
        });
      }
    });

    it('turns a not-ready Milvus or a dropped connection into a 503', async () => {
      stub.next('Search', { status: failure(1, 'service not ready') });
      await expectRefusal(
        searchOnce(backend, a),
        503,
        'Milvus search failed: service not ready (code 1)',
      );
      stub.next('Query', { grpcError: grpc.status.UNAVAILABLE, details: 'connection reset' });
      await expectRefusal(backend.count(a), 503, 'Milvus query failed: UNAVAILABLE (gRPC 14)');
    });

    it('treats an answer without a status (an unimplemented call) as a 502', async () => {
      stub.next('Delete', { grpcError: grpc.status.UNIMPLEMENTED, details: 'no such method' });
      await expectRefusal(
        backend.delete(a, { kind: 'all' }),
        502,
        'Milvus delete answered without a status',
      );
      stub.next('Search', { grpcError: grpc.status.UNIMPLEMENTED, details: 'no such method' });
      const search = await rejection(searchOnce(backend, a));
      expect(search.status).toBe(502);
    });

    it('erases the place, verifies nothing of the tenant remains, and can erase again', async () => {
      const c = scopeOf(backend, strategy, C);
      await backend.provision(c);
      stub.reset();
      const report = await backend.erase(c);
      const expected = expectedErasure(strategy, C);
      expect(report).toEqual({ places: [{ place: expected.report, remaining: 0 }] });
      expect(stub.calls.map((c) => placeOf(c, ['expr', 'expr_template_values']))).toEqual(
        expected.calls,
      );
      await expect(backend.erase(c)).resolves.toEqual(report);
    });

    it('fails reads of an erased tenant with a 502, or answers nothing in a shared collection', async () => {
      const c = scopeOf(backend, strategy, C);
      await backend.provision(c);
      await backend.erase(c);
      const reads: [string, () => Promise<unknown>][] = [
        ['search', () => searchOnce(backend, c)],
        ['fetch', () => backend.fetch(c, ['r1'], NONE)],
        ['count', () => backend.count(c)],
      ];
      for (const [operation, read] of reads) {
        if (strategy === 'partition_key') {
          await expect(read()).resolves.toEqual(operation === 'count' ? 0 : []);
          continue;
        }
        const error = await rejection(read());
        expect({ operation, status: error.status }).toEqual({ operation, status: 502 });
        expect(error.message).toMatch(/not found/);
      }
    });

    it('reports rows the tenant still has after an erasure', async () => {
      if (strategy !== 'partition_key' && strategy !== 'partition') return;
      const c = scopeOf(backend, strategy, C);
      await backend.provision(c);
      stub.next('Query', queryAnswer([{ 'count(*)': 3 }]));
      await expect(backend.erase(c)).resolves.toEqual({
        places: [{ place: expect.stringContaining(`milvus:default/`) as string, remaining: 3 }],
      });
    });
  },
);

describe('Milvus wire: an empty or missing partition or tenant value never becomes an unscoped call', () => {
  let stub: MilvusStub;
  let backend: MilvusBackend;

  withMilvusStub(async (milvus) => {
    ({ stub, backend } = milvus);
    await backend.provision(scopeOf(backend, 'partition', A));
  });

  it('refuses forged scopes before any call reaches Milvus', async () => {
    const a = scopeOf(backend, 'partition', A);
    const location = a.placement.location;
    const scopes: [string, TenantScope][] = [
      [
        'no partition',
        withLocation(a, { database: 'default', collection: String(location.collection) }),
      ],
      ['an empty partition', withLocation(a, { ...location, partition: '' })],
      ["another tenant's partition", withLocation(a, { ...location, partition: `vg_t_${B}` })],
      ['an empty tenant uid', forged(a, { tenantUid: '' })],
      ['a missing tenant uid', forged(a, { tenantUid: undefined })],
      ['another tenant uid', forged(a, { tenantUid: B })],
      ['another strategy', forged(a, { placement: { ...a.placement, strategy: 'partition_key' } })],
      ['a reserved namespace', forged(a, { namespace: '_vg_ns' })],
      ['a namespace with a slash', forged(a, { namespace: 'docs/a' })],
      ['a missing namespace', forged(a, { namespace: undefined })],
      ['a too long namespace', forged(a, { namespace: 'n'.repeat(65) })],
    ];
    for (const [label, scope] of scopes) {
      const calls: [string, () => Promise<unknown>][] = [
        ['search', () => searchOnce(backend, scope)],
        [
          'search with filter',
          () =>
            backend.search(scope, {
              vector: Float32Array.from([1, 0, 0, 0]),
              topK: 3,
              filter: { op: '$eq', field: 'a', value: 1 },
              ...NONE,
            }),
        ],
        ['fetch', () => backend.fetch(scope, ['r1'], NONE)],
        ['count', () => backend.count(scope)],
        ['delete all', () => backend.delete(scope, { kind: 'all' })],
        ['delete ids', () => backend.delete(scope, { kind: 'ids', ids: ['r1'] })],
        [
          'upsert',
          () => backend.upsert(scope, [{ id: 'r', values: Float32Array.from([1, 0, 0, 0]) }]),
        ],
        ['erase', () => backend.erase(scope)],
      ];
      for (const [operation, call] of calls) {
        const error = await rejection(call());
        expect({ label, operation, name: error.name }).toEqual({
          label,
          operation,
          name: 'MilvusScopeError',
        });
      }
    }
    expect(stub.calls).toEqual([]);
  });

  it('refuses, at the last step before the client, a request built without partition, tenant or namespace', async () => {
    const client = createMilvusClient(milvusOptions(stub.address()));
    const statements = new MilvusStatements(client);
    const shared = { database: 'default', collection: 'vg_shared_4_cosine_part' };
    const own = { ...shared, partition: `vg_t_${A}` };
    // Filters made by hand, as a faulty caller would: the builders would refuse them earlier.
    const scoped = (uid: string, namespace: string): MilvusFilter => ({
      expr: SCOPE_CLAUSE,
      values: { vg_tenant: uid, vg_ns: namespace },
    });
    const search = (
      location: typeof own | typeof shared,
      scope: StatementScope,
      filter = scoped(scope.tenantUid, ''),
    ) =>
      statements.search(location, scope, {
        vector: Float32Array.from([1, 0, 0, 0]),
        topK: 3,
        metric: 'cosine',
        filter,
        output: ['_vg_id'],
      });
    try {
      for (const uid of ['', 'not-a-uid', undefined as unknown as string]) {
        const scope = { tenantUid: uid, namespace: '' };
        await expect(search(own, scope)).rejects.toThrow(/32 hex/);
        await expect(statements.count(shared, scope, scoped(uid, ''))).rejects.toThrow(/32 hex/);
        await expect(statements.delete(shared, scope, scoped(uid, ''))).rejects.toThrow(/32 hex/);
      }
      await expect(
        search({ ...shared, partition: `vg_t_${B}` }, { tenantUid: A, namespace: '' }),
      ).rejects.toThrow(/not the tenant's own/);
      await expect(
        statements.query(
          { ...shared, partition: '' },
          { tenantUid: A, namespace: '' },
          scoped(A, ''),
          ['_vg_id'],
        ),
      ).rejects.toThrow(/partition/);
      // The namespace: missing, another one than the scope's, outside the alphabet, or dropped
      // for the tenant-wide clause outside an erasure.
      const a = { tenantUid: A, namespace: 'docs' };
      for (const filter of [
        { expr: SCOPE_CLAUSE, values: { vg_tenant: A } },
        scoped(A, ''),
        scoped(A, 'notes'),
        tenantWideFilter(A),
      ]) {
        await expect(search(own, a, filter)).rejects.toThrow(/namespace/);
        await expect(statements.delete(shared, a, filter)).rejects.toThrow(/namespace/);
      }
      await expect(
        search(own, { tenantUid: A, namespace: '_vg' }, scoped(A, '_vg')),
      ).rejects.toThrow(/namespace/);
      await expect(
        statements.count(shared, { tenantUid: A, namespace: EVERY_NAMESPACE }, scoped(A, '')),
      ).rejects.toThrow(/namespace value/);
    } finally {
      await client.closeConnection();
    }
    expect(stub.methods().filter((m) => DATA_METHODS.includes(m))).toEqual([]);
  });
});

describe('Milvus wire: limits answer 507 before anything is created', () => {
  let stub: MilvusStub;
  let backend: MilvusBackend;

  withMilvusStub((milvus) => ({ stub, backend } = milvus), { places: true });

  function creations(): string[] {
    return stub.methods().filter((m) => /^(Create|Load|Upsert|Insert)/.test(m));
  }

  it('refuses a 65th database (the default limit, default database included)', async () => {
    for (let i = 1; i < 64; i++) stub.databases.set(`other_${i}`, new Map());
    const a = scopeOf(backend, 'database', A);
    for (const attempt of [() => backend.checkCapacity(a), () => backend.provision(a)]) {
      await expectRefusal(
        attempt(),
        507,
        'Milvus database limit reached: 64 of 64 databases exist, the default one included (MILVUS_MAX_DATABASES)',
      );
    }
    expect(creations()).toEqual([]);
    expect(stub.databases.has(`vg_t_${A}`)).toBe(false);
  });

  it('refuses a collection beyond 65,536 in the cluster (the default limit)', async () => {
    const names = Array.from({ length: 65_536 }, (_, i) => `c${i}`);
    stub.answerAlways('ShowCollections', { status: OK, collection_names: names });
    await expectRefusal(
      backend.provision(scopeOf(backend, 'collection', A)),
      507,
      'Milvus collection limit reached: 65536 of 65536 collections exist (MILVUS_MAX_COLLECTIONS)',
    );
    expect(creations()).toEqual([]);
  });

  it('refuses a partition beyond 1,024 in the shared collection (the default limit)', async () => {
    const partitions = ['_default', ...Array.from({ length: 1023 }, (_, i) => `p${i}`)];
    stub.databases.get('default')!.set('vg_shared_4_cosine_part', {
      schema: {},
      consistency: 'Strong',
      partitions,
    });
    const a = scopeOf(backend, 'partition', A);
    await expectRefusal(
      backend.provision(a),
      507,
      'Milvus partition limit reached: collection vg_shared_4_cosine_part holds 1024 of 1024 partitions, _default included (MILVUS_MAX_PARTITIONS)',
    );
    expect(creations()).toEqual([]);
  });

  it('uses overridden limits', async () => {
    const limits = { databases: 2, collections: 3, partitionsPerCollection: 2 };
    const small = new MilvusBackend(milvusOptions(stub.address(), { limits }));
    try {
      stub.databases.set('other', new Map());
      await expectRefusal(
        small.checkCapacity(scopeOf(small, 'database', A)),
        507,
        'Milvus database limit reached: 2 of 2 databases exist, the default one included (MILVUS_MAX_DATABASES)',
      );
      expect(creations()).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('answers 507 when Milvus itself refuses a create over its own limit', async () => {
    stub.next('CreateDatabase', failure(801, 'exceeded the limit number of database'));
    await expectRefusal(
      backend.provision(scopeOf(backend, 'database', A)),
      507,
      'Milvus create database failed: database limit reached (code 801)',
    );
  });
});

describe('Milvus wire: a provision that fails part-way rolls back what it made', () => {
  let stub: MilvusStub;
  let backend: MilvusBackend;

  withMilvusStub((milvus) => ({ stub, backend } = milvus), { places: true });

  // What each strategy's provision made, what fails it, the calls from there on, and what is left.
  it.each([
    [
      'the collection and the database it created (database)',
      'database',
      'CreateIndex',
      'Milvus create index failed: code 65535',
      ['CreateIndex', 'DropCollection', 'ShowCollections', 'DropDatabase'],
      () => [...stub.databases.keys()],
      ['default'],
    ],
    [
      'the collection it created (collection)',
      'collection',
      'LoadCollection',
      'Milvus load collection failed: code 65535',
      ['LoadCollection', 'DropCollection'],
      () => [...stub.databases.get('default')!.keys()],
      [],
    ],
    [
      'the partition it created and keeps the shared collection (partition)',
      'partition',
      'LoadPartitions',
      'Milvus load partition failed: code 65535',
      ['LoadPartitions', 'ReleasePartitions', 'DropPartition'],
      () => stub.databases.get('default')!.get('vg_shared_4_cosine_part')!.partitions,
      ['_default'],
    ],
  ] as const)('drops %s', async (_what, strategy, failing, message, rollback, remaining, left) => {
    stub.next(failing, failure(65535, `${failing} refused`));
    const error = await rejection(backend.provision(scopeOf(backend, strategy, A)));
    expect(error.message).toBe(message);
    const methods = stub.methods();
    expect(methods.slice(methods.indexOf(failing))).toEqual(rollback);
    expect(remaining()).toEqual(left);
  });
});

describe('Milvus wire: health, scores and configuration errors', () => {
  let stub: MilvusStub;
  let backend: MilvusBackend;

  withMilvusStub((milvus) => ({ stub, backend } = milvus));

  it('reports health from the Milvus health check', async () => {
    await expect(backend.health()).resolves.toEqual({ ok: true });
    stub.next('CheckHealth', { status: OK, isHealthy: false, reasons: ['query node down'] });
    await expect(backend.health()).resolves.toEqual({
      ok: false,
      detail: 'Milvus is not healthy: query node down',
    });
    stub.next('CheckHealth', { status: failure(1, 'service not ready') });
    await expect(backend.health()).resolves.toEqual({
      ok: false,
      detail: 'Milvus health check failed: service not ready (code 1)',
    });
    expect(stub.methods()).toEqual(['CheckHealth', 'CheckHealth', 'CheckHealth']);
  });

  it('reports an unreachable Milvus as unhealthy', async () => {
    const other = new MilvusStub();
    const address = await other.start();
    await other.stop();
    const unreachable = new MilvusBackend(milvusOptions(address));
    try {
      const health = await unreachable.health();
      expect(health.ok).toBe(false);
      expect(health.detail).toBe('Milvus health check failed: UNAVAILABLE (gRPC 14)');
    } finally {
      await unreachable.close();
    }
  });

  it('speaks mutual TLS with the configured CA, client certificate and server name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vg-milvus-tls-'));
    const file = (name: string, pem: string) => {
      writeFileSync(join(dir, name), pem);
      return join(dir, name);
    };
    const ca = file('ca.pem', CA_CERT);
    const cert = file('client.pem', CLIENT_CERT);
    const key = file('client.key', CLIENT_KEY);
    const secure = new MilvusStub();
    const address = await secure.start({ cert: SERVER_CERT, key: SERVER_KEY, clientCa: CA_CERT });
    const tls = { enabled: true, rootCertPath: ca, serverName: 'milvus.test' };
    const trusted = new MilvusBackend(
      milvusOptions(address, { tls: { ...tls, certChainPath: cert, privateKeyPath: key } }),
    );
    const anonymous = new MilvusBackend(milvusOptions(address, { tls }));
    const plaintext = new MilvusBackend(milvusOptions(address));
    try {
      await expect(trusted.health()).resolves.toEqual({ ok: true });
      expect(secure.calls.map((c) => [c.method, c.metadata.authorization])).toEqual([
        ['CheckHealth', AUTH],
      ]);
      for (const refused of [anonymous, plaintext]) {
        await expect(refused.health()).resolves.toEqual({
          ok: false,
          detail: 'Milvus health check failed: UNAVAILABLE (gRPC 14)',
        });
      }
      expect(secure.calls).toHaveLength(1);
    } finally {
      await Promise.all([trusted.close(), anonymous.close(), plaintext.close()]);
      await secure.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['euclidean', [1, 4], [-1, -2], 'L2'],
    ['dot', [3, -1], [3, -1], 'IP'],
  ] as const)('scores %s as higher-is-more-similar', async (metric, raw, scores, milvusMetric) => {
    const space = { dimension: 4, metric } as const;
    const scope = scopeOf(backend, 'partition_key', A, space);
    await backend.provision(scope);
    stub.reset();
    stub.next(
      'Search',
      searchAnswer(
        raw.map((score, i) => ({
          _vg_pk: `${A}:r${i}`,
          _vg_id: `r${i}`,
          _vg_tenant: A,
          _vg_ns: '',
          score,
        })),
      ),
    );
    const hits = await backend.search(scope, {
      vector: Float32Array.from([1, 0, 0, 0]),
      topK: 2,
      ...NONE,
    });
    expect(hits).toEqual(
      scores.map((score, i) => ({ id: `r${i}`, tenantUid: A, namespace: '', score })),
    );
    expect(stub.requests('Search')[0]!.search_params).toEqual(
      expect.arrayContaining([{ key: 'metric_type', value: milvusMetric }]),
    );
  });

  it('refuses a shared collection for an unmapped pair with 422 naming the pair', () => {
    expect(() =>
      backend.plan({
        tenantId: 'acme',
        tenantUid: A,
        strategy: 'partition_key',
        space: { dimension: 768, metric: 'cosine' },
      }),
    ).toThrow(
      expect.objectContaining({
        status: 422,
        message: expect.stringContaining('dimension 768 and metric cosine') as string,
      }),
    );
    expect(stub.calls).toEqual([]);
  });

  it('refuses an existing shared collection with another dimension', async () => {
    // Replaces the collection the score test made: same name, vectors of dimension 8.
    stub.databases.get('default')!.set('vg_shared_4_dot', {
      schema: {
        fields: [
          {
            name: '_vg_vector',
            data_type: 'FloatVector',
            type_params: [{ key: 'dim', value: '8' }],
          },
        ],
      },
      consistency: 'Strong',
      partitions: ['_default'],
    });
    const scope = scopeOf(backend, 'partition_key', B, { dimension: 4, metric: 'dot' });
    const error = await rejection(backend.provision(scope));
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/^Milvus collection vg_shared_4_dot exists with another schema/);
    expect(error.message).toContain('_vg_vector has dimension 8');
  });
});
