import { FilterNode } from '../../ports/vector.types';
import { compilePineconeFilter, NOTHING, scopeCondition, tenantFilter } from './pinecone.filter';

const UID = '0123456789abcdef0123456789abcdef';
const TENANT = { _vg_tenant: { $eq: UID }, _vg_ns: { $exists: false } };

function has(field: string) {
  return { _vg_has: { $in: [field] } };
}

describe('Pinecone filter translation', () => {
  it('puts the tenant condition first in an $and, beside the user filter, never merged', () => {
    expect(tenantFilter(UID, '')).toEqual(TENANT);
    expect(tenantFilter(UID, '', { op: '$eq', field: 'x', value: 'a' })).toEqual({
      $and: [TENANT, { _vg_s_x: { $in: ['a'] } }],
    });
    // A user clause on the same operator stays a separate branch.
    expect(
      tenantFilter(UID, '', {
        op: '$and',
        nodes: [
          { op: '$eq', field: 'a', value: 1 },
          { op: '$eq', field: 'b', value: true },
        ],
      }),
    ).toEqual({
      $and: [TENANT, { $and: [{ _vg_n_a: { $in: ['1'] } }, { _vg_b_b: { $in: ['true'] } }] }],
    });
  });

  it('compares within each JSON type: one typed field per type', () => {
    expect(
      compilePineconeFilter({ op: '$in', field: 'v', values: ['5', 5, true, 'x', 5.0, -0] }),
    ).toEqual({
      $or: [
        { _vg_s_v: { $in: ['5', 'x'] } },
        { _vg_n_v: { $in: ['5', '0'] } },
        { _vg_b_v: { $in: ['true'] } },
      ],
    });
    expect(compilePineconeFilter({ op: '$eq', field: 'v', value: 2.5 })).toEqual({
      _vg_n_v: { $in: ['2.5'] },
    });
  });

  it('requires the field to exist for $ne and $nin, and tolerates typed fields that are absent', () => {
    expect(compilePineconeFilter({ op: '$ne', field: 'color', value: 'red' })).toEqual({
      $and: [
        has('color'),
        { $or: [{ _vg_s_color: { $exists: false } }, { _vg_s_color: { $nin: ['red'] } }] },
      ],
    });
    expect(compilePineconeFilter({ op: '$nin', field: 'v', values: [1, false] })).toEqual({
      $and: [
        has('v'),
        { $or: [{ _vg_n_v: { $exists: false } }, { _vg_n_v: { $nin: ['1'] } }] },
        { $or: [{ _vg_b_v: { $exists: false } }, { _vg_b_v: { $nin: ['false'] } }] },
      ],
    });
    expect(compilePineconeFilter({ op: '$nin', field: 'v', values: [] })).toEqual(has('v'));
  });

  it('uses the largest element for > and >=, the smallest for < and <=, and numbers only', () => {
    expect(compilePineconeFilter({ op: '$gt', field: 'n', value: 3 })).toEqual({
      _vg_hi_n: { $gt: 3 },
    });
    expect(compilePineconeFilter({ op: '$gte', field: 'n', value: 3 })).toEqual({
      _vg_hi_n: { $gte: 3 },
    });
    expect(compilePineconeFilter({ op: '$lt', field: 'n', value: -1 })).toEqual({
      _vg_lo_n: { $lt: -1 },
    });
    expect(compilePineconeFilter({ op: '$lte', field: 'n', value: 0 })).toEqual({
      _vg_lo_n: { $lte: 0 },
    });
    expect(compilePineconeFilter({ op: '$gt', field: 'n', value: '3' })).toBe(NOTHING);
    expect(compilePineconeFilter({ op: '$lt', field: 'n', value: true })).toBe(NOTHING);
  });

  it('names the namespace in the tenant condition: absent for the default one, equal otherwise', () => {
    expect(scopeCondition(UID, '')).toEqual({
      _vg_tenant: { $eq: UID },
      _vg_ns: { $exists: false },
    });
    // A namespace called like the default's alias or a reserved field is just a value.
    for (const namespace of ['docs', '__default__', '_vg_tenant', 'a:b@c.d-e_f']) {
      expect(tenantFilter(UID, namespace, { op: '$eq', field: 'x', value: 1 })).toEqual({
        $and: [
          { _vg_tenant: { $eq: UID }, _vg_ns: { $eq: namespace } },
          { _vg_n_x: { $in: ['1'] } },
        ],
      });
    }
  });

  it('folds clauses that can match nothing: $and fails, $or drops them', () => {
    const never: FilterNode = { op: '$gt', field: 'n', value: 'x' };
    const red: FilterNode = { op: '$eq', field: 'c', value: 'red' };
    expect(compilePineconeFilter({ op: '$and', nodes: [red, never] })).toBe(NOTHING);
    expect(compilePineconeFilter({ op: '$or', nodes: [red, never] })).toEqual({
      _vg_s_c: { $in: ['red'] },
    });
    expect(compilePineconeFilter({ op: '$or', nodes: [never, never] })).toBe(NOTHING);
    expect(compilePineconeFilter({ op: '$in', field: 'c', values: [] })).toBe(NOTHING);
    expect(tenantFilter(UID, '', never)).toBe(NOTHING);
    expect(tenantFilter(UID, 'docs', never)).toBe(NOTHING);
  });

  it('carries hostile strings as values, verbatim', () => {
    const values = ['$ne', '{"$or":[{}]}', '_vg_tenant', 'nul\u0000', "' OR 1=1 --", ''];
    for (const value of values) {
      expect(compilePineconeFilter({ op: '$eq', field: 'f', value })).toEqual({
        _vg_s_f: { $in: [value] },
      });
    }
  });

  it('refuses field names outside the gateway key pattern or in the reserved _vg space', () => {
    for (const field of ['_vg_tenant', '_VG_md', '_vgx', 'a.b', '$or', '', 'a b']) {
      expect(() => compilePineconeFilter({ op: '$eq', field, value: 1 })).toThrow(/is not allowed/);
    }
  });
});
