import { FilterNode } from '../../ports/vector.types';
import { metadataKey, translateFilter } from './qdrant.filter';
import { scopedFilter } from './qdrant.scope';

const UID = '0123456789abcdef0123456789abcdef';
const eq = (field: string, value: string | number | boolean): FilterNode => ({
  op: '$eq',
  field,
  value,
});

describe('Qdrant filter translation', () => {
  it('compares strings and booleans with match.value and numbers with a closed range', () => {
    expect(translateFilter(eq('genre', 'news'))).toEqual({
      key: 'metadata.genre',
      match: { value: 'news' },
    });
    expect(translateFilter(eq('flag', false))).toEqual({
      key: 'metadata.flag',
      match: { value: false },
    });
    expect(translateFilter(eq('n', 5.5))).toEqual({
      key: 'metadata.n',
      range: { gte: 5.5, lte: 5.5 },
    });
  });

  it('turns $in into one condition per type, strings grouped in match.any', () => {
    expect(
      translateFilter({ op: '$in', field: 'v', values: ['a', 'b', 'a', 3, true, true] }),
    ).toEqual({
      should: [
        { key: 'metadata.v', match: { any: ['a', 'b'] } },
        { key: 'metadata.v', range: { gte: 3, lte: 3 } },
        { key: 'metadata.v', match: { value: true } },
      ],
    });
  });

  it('requires a comparable field for $ne and $nin, then excludes every equal value', () => {
    expect(translateFilter({ op: '$ne', field: 'v', value: 'x' })).toEqual({
      must: [{ key: '_vg_keys', match: { value: 'v' } }],
      must_not: [{ key: 'metadata.v', match: { value: 'x' } }],
    });
    expect(translateFilter({ op: '$nin', field: 'v', values: [1, 'x', 'y'] })).toEqual({
      must: [{ key: '_vg_keys', match: { value: 'v' } }],
      must_not: [
        { key: 'metadata.v', match: { any: ['x', 'y'] } },
        { key: 'metadata.v', range: { gte: 1, lte: 1 } },
      ],
    });
  });

  it('maps ranges, and a range on a non-number matches nothing', () => {
    expect(translateFilter({ op: '$gt', field: 'n', value: 1 })).toEqual({
      key: 'metadata.n',
      range: { gt: 1 },
    });
    expect(translateFilter({ op: '$lte', field: 'n', value: -1 })).toEqual({
      key: 'metadata.n',
      range: { lte: -1 },
    });
    expect(translateFilter({ op: '$gt', field: 'n', value: 'a' })).toBeNull();
    expect(translateFilter({ op: '$in', field: 'n', values: [] })).toBeNull();
  });

  it('nests $and as must and $or as should, folding clauses that match nothing', () => {
    expect(translateFilter({ op: '$and', nodes: [eq('a', 1), eq('b', 'x')] })).toEqual({
      must: [
        { key: 'metadata.a', range: { gte: 1, lte: 1 } },
        { key: 'metadata.b', match: { value: 'x' } },
      ],
    });
    const never: FilterNode = { op: '$gt', field: 'n', value: 'a' };
    expect(translateFilter({ op: '$and', nodes: [eq('a', 1), never] })).toBeNull();
    expect(translateFilter({ op: '$or', nodes: [never, eq('a', 1)] })).toEqual({
      key: 'metadata.a',
      range: { gte: 1, lte: 1 },
    });
    expect(translateFilter({ op: '$or', nodes: [never, never] })).toBeNull();
    expect(() => translateFilter({ op: '$or', nodes: [] })).toThrow(/at least one/);
  });

  it('never builds a path outside metadata, whatever the field name', () => {
    for (const field of ['a.b', '_vg_tenant"]', '', 'x y', '$or', 'a[]', '"q"']) {
      if (/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(field)) continue;
      expect(() => metadataKey(field)).toThrow(/invalid filter field/);
      expect(() => translateFilter(eq(field, 'x'))).toThrow(/invalid filter field/);
    }
    // A name that looks like a system field is still only a metadata key.
    expect(metadataKey('_vg_tenant')).toBe('metadata._vg_tenant');
  });

  it('passes hostile values through verbatim as JSON data', () => {
    const hostile = `"}],"should":[{"key":"_vg_tenant","match":{"value":"x"}}],"a":"`;
    const condition = translateFilter(eq('s', hostile));
    expect(condition).toEqual({ key: 'metadata.s', match: { value: hostile } });
    const scope = { tenantUid: UID, namespace: 'docs' };
    const wire = JSON.parse(JSON.stringify(scopedFilter(scope, condition!))) as unknown;
    expect(wire).toEqual({
      must: [
        { key: '_vg_tenant', match: { value: UID } },
        { key: '_vg_ns', match: { value: 'docs' } },
        { key: 'metadata.s', match: { value: hostile } },
      ],
    });
  });
});
