import { UnprocessableError } from '@vecgate/core';
import { toScore } from '../../ports/backend-rules';
import { decodePrimaryKey } from './milvus.naming';
import {
  collectionFields,
  filterIndexOf,
  MAX_ID_BYTES,
  maxIdBytes,
  MILVUS_SCORES,
  toRow,
} from './milvus.schema';

const UID = '0123456789abcdef0123456789abcdef';

describe('Milvus records schema', () => {
  it('declares the tenant field as partition key only for partition_key collections', () => {
    expect(collectionFields(8, true)).toEqual([
      { name: '_vg_pk', data_type: 'VarChar', is_primary_key: true, max_length: 2081 },
      { name: '_vg_tenant', data_type: 'VarChar', max_length: 32, is_partition_key: true },
      { name: '_vg_id', data_type: 'VarChar', max_length: 2048 },
      { name: '_vg_vector', data_type: 'FloatVector', dim: 8 },
      { name: '_vg_meta', data_type: 'JSON' },
      { name: '_vg_filter', data_type: 'JSON' },
      { name: '_vg_ns', data_type: 'VarChar', max_length: 64, nullable: true, default_value: '' },
    ]);
    expect(collectionFields(8, false)[1]).toEqual({
      name: '_vg_tenant',
      data_type: 'VarChar',
      max_length: 32,
    });
  });

  it('stores the tenant uid, the namespace, the id, the vector, the metadata and a uid-prefixed key', () => {
    const row = toRow(UID, '', {
      id: 'doc:1',
      values: Float32Array.from([0.5, -1]),
      metadata: { tag: ['a', 1] },
    });
    expect(row).toEqual({
      _vg_pk: `${UID}:doc:1`,
      _vg_tenant: UID,
      _vg_ns: '',
      _vg_id: 'doc:1',
      _vg_vector: [0.5, -1],
      _vg_meta: { tag: ['a', 1] },
      _vg_filter: {
        keys: ['tag'],
        str: { tag: ['a'] },
        num: { tag: [1] },
        min: { tag: 1 },
        max: { tag: 1 },
      },
    });
    expect(toRow(UID, '', { id: 'x', values: Float32Array.from([1]) })._vg_meta).toEqual({});
    const named = toRow(UID, 'docs:v2', { id: 'doc:1', values: Float32Array.from([1]) });
    expect([named._vg_pk, named._vg_ns, named._vg_id]).toEqual([
      `${UID}/docs:v2/doc:1`,
      'docs:v2',
      'doc:1',
    ]);
  });

  it('refuses an id longer than the primary key leaves room for, naming the input field', () => {
    const id = 'é'.repeat(MAX_ID_BYTES / 2 + 1);
    expect(() => toRow(UID, '', { id, values: Float32Array.from([1]) }, 'vectors[3].id')).toThrow(
      expect.objectContaining({ status: 422, extras: { field: 'vectors[3].id' } }),
    );
    expect(
      toRow(UID, '', { id: 'é'.repeat(MAX_ID_BYTES / 2), values: Float32Array.from([1]) })._vg_id,
    ).toHaveLength(MAX_ID_BYTES / 2);
    // `/<namespace>/` takes the namespace's length plus one from the 2,048 bytes.
    const namespace = 'n'.repeat(64);
    expect(maxIdBytes(namespace)).toBe(MAX_ID_BYTES - 65);
    const fits = toRow(UID, namespace, { id: 'x'.repeat(1983), values: Float32Array.from([1]) });
    expect(Buffer.byteLength(fits._vg_pk as string)).toBe(2081);
    expect(() =>
      toRow(UID, namespace, { id: 'x'.repeat(1984), values: Float32Array.from([1]) }, 'v'),
    ).toThrow(`a record id is at most 1983 bytes on Milvus in namespace ${namespace}`);
  });

  it('gives equal ids of two tenants or two namespaces different keys, and decodes every key back exactly', () => {
    const other = 'f'.repeat(32);
    const ids = ['a', 'a:b', ':', '', '/', 'docs/a', `${other}:a`, '"\u0000🦄'];
    const namespaces = ['', 'docs', 'docs:a', 'a', 'x.y@z-1_'];
    const keys = new Set<string>();
    for (const uid of [UID, other]) {
      for (const namespace of namespaces) {
        for (const id of ids) {
          const row = toRow(uid, namespace, { id, values: Float32Array.from([1]) });
          expect(decodePrimaryKey(row._vg_pk as string)).toEqual({ uid, namespace, id });
          keys.add(row._vg_pk as string);
        }
      }
    }
    expect(keys.size).toBe(ids.length * namespaces.length * 2);
    for (const bad of [
      'short:a',
      `${UID}`,
      `${UID}/docs`,
      `${UID}//a`,
      `${UID}/_x/a`,
      `${UID}-a`,
    ]) {
      expect(() => decodePrimaryKey(bad)).toThrow(/primary key/);
    }
    expect(() => toRow(UID, '_reserved', { id: 'a', values: Float32Array.from([1]) })).toThrow(
      /namespace/,
    );
  });

  describe('filter index', () => {
    it('indexes comparable values by type, with least and greatest number', () => {
      expect(
        filterIndexOf({
          s: 'x',
          n: 5,
          f: false,
          arr: ['x', 'x', 3, -1.5, true, true, [9], { a: 1 }, null],
          empty: [],
          nil: null,
          obj: { a: 1 },
        }),
      ).toEqual({
        keys: ['s', 'n', 'f', 'arr', 'empty', 'obj.a'],
        str: { s: ['x'], arr: ['x'] },
        num: { n: [5], arr: [3, -1.5], 'obj.a': [1] },
        bool: { f: [false], arr: [true] },
        min: { n: 5, arr: -1.5, 'obj.a': 1 },
        max: { n: 5, arr: 3, 'obj.a': 1 },
      });
    });

    it('indexes dotted names: a literal dotted key first, else the nested path', () => {
      expect(
        filterIndexOf({
          'loc.lines.from': 1,
          loc: { lines: { from: 2, to: 'x' } },
          metadata: { source: 'a.pdf', page: null },
        }),
      ).toEqual({
        keys: ['loc.lines.from', 'loc.lines.to', 'metadata.source'],
        str: { 'metadata.source': ['a.pdf'], 'loc.lines.to': ['x'] },
        num: { 'loc.lines.from': [1] },
        min: { 'loc.lines.from': 1 },
        max: { 'loc.lines.from': 1 },
      });
    });

    it('keeps a __proto__ key as data, never as a prototype', () => {
      const metadata = JSON.parse('{"__proto__": "x", "constructor": 1}') as Record<string, string>;
      const index = filterIndexOf(metadata);
      expect(Object.keys(index.str!)).toEqual(['__proto__']);
      expect(JSON.stringify(index)).toBe(
        '{"keys":["__proto__","constructor"],"str":{"__proto__":["x"]},"num":{"constructor":[1]},"min":{"constructor":1},"max":{"constructor":1}}',
      );
    });

    it('refuses with 422 a record whose filter index passes the JSON field limit', () => {
      // Many short values under long names: the names repeat in the index, the values do not.
      const name = (i: number) => `f${i}`.padEnd(120, 'x');
      const metadata = {
        o: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [name(i), i])),
      };
      expect(Buffer.byteLength(JSON.stringify(metadata))).toBeLessThan(65_536);
      expect(() => toRow(UID, '', { id: 'r', values: Float32Array.of(1), metadata })).toThrow(
        UnprocessableError,
      );
      expect(
        toRow(UID, '', { id: 'r', values: Float32Array.of(1), metadata: { a: 1 } }),
      ).toBeDefined();
    });

    it('is only the key list for a record without metadata', () => {
      expect(filterIndexOf(undefined)).toEqual({ keys: [] });
      expect(filterIndexOf({})).toEqual({ keys: [] });
    });
  });

  it('turns Milvus scores into higher-is-more-similar scores', () => {
    expect(toScore(MILVUS_SCORES, 'cosine', 0.25)).toBe(0.25);
    expect(toScore(MILVUS_SCORES, 'dot', -3)).toBe(-3);
    expect(toScore(MILVUS_SCORES, 'euclidean', 9)).toBe(-3);
    expect(toScore(MILVUS_SCORES, 'euclidean', -1e-9)).toBe(-0);
  });
});
