import { BadRequestError } from '@vecgate/core';
import { translateFilter as translate } from './qdrant-filter';
import { pointIdOf, recordIdOf } from './qdrant-ids';
import { translateSelection as select } from './qdrant-selection';

/** Keys are checked by the filter parser in the gateway; here any key passes. */
const anyKey = { checkField: (): void => undefined };
const translateFilter = (filter: unknown) => translate(filter, anyKey);
const translateSelection = (filter: unknown) => select(filter, anyKey);

function refusedField(filter: unknown): string | undefined {
  try {
    translateFilter(filter);
  } catch (err) {
    if (err instanceof BadRequestError) return err.extras.field;
    throw err;
  }
  return undefined;
}

describe('Qdrant filter translation', () => {
  it('writes must, should and nested filters as $and / $or of comparisons', () => {
    expect(
      translateFilter({
        must: [
          { key: 'metadata.source', match: { value: 'a' } },
          { key: 'n', range: { gte: 1, lt: 5 } },
        ],
        should: [
          { key: 'tag', match: { any: ['x', 'y'] } },
          { must: { key: 'z', match: { except: [1] } } },
        ],
      }),
    ).toEqual({
      $and: [
        { 'metadata.source': { $eq: 'a' } },
        { $and: [{ n: { $gte: 1 } }, { n: { $lt: 5 } }] },
        { $or: [{ tag: { $in: ['x', 'y'] } }, { z: { $nin: [1] } }] },
      ],
    });
  });

  it('negates must_not so that points without the field match, as in Qdrant', () => {
    expect(
      translateFilter({
        must_not: [{ key: 'k', match: { value: 1 } }, { is_empty: { key: 'e' } }],
      }),
    ).toEqual({
      $and: [{ $or: [{ k: { $ne: 1 } }, { k: { $exists: false } }] }, { e: { $exists: true } }],
    });
    expect(translateFilter({ must_not: { key: 'n', match: { any: [1, 2] } } })).toEqual({
      $or: [{ n: { $nin: [1, 2] } }, { n: { $exists: false } }],
    });
  });

  it.each([
    [{ must_not: { key: 'n', range: { gt: 3 } } }, 'filter.must_not[0].range'],
    [
      { must_not: [{ should: [{ key: 'n', range: { lte: 1 } }] }] },
      'filter.must_not[0].should[0].range',
    ],
    [{ must_not: [{ key: 't', match: { except: ['a'] } }] }, 'filter.must_not[0].match'],
    [
      { must_not: [{ must_not: [{ key: 'n', range: { gt: 3 } }] }] },
      'filter.must_not[0].must_not[0].range',
    ],
  ])(
    'refuses to negate a range or except, which on arrays or other types Qdrant judges otherwise (%j)',
    (filter, field) => {
      expect(refusedField(filter)).toBe(field);
    },
  );

  it('keeps a range and except where they are not negated', () => {
    expect(translateFilter({ must: [{ key: 'n', range: { gt: 3 } }] })).toEqual({ n: { $gt: 3 } });
    expect(translateFilter({ should: [{ key: 't', match: { except: ['a'] } }] })).toEqual({
      t: { $nin: ['a'] },
    });
  });

  it.each([
    [{ must: [{ is_empty: { key: 'a' }, key: 'b', match: { value: 1 } }] }, 'filter.must[0].key'],
    [{ must_not: [{ key: 'b', is_empty: { key: 'a' } }] }, 'filter.must_not[0].key'],
    [{ should: [{ has_id: [1], key: 'b', match: { value: 1 } }] }, 'filter.should[0].key'],
  ])('refuses a condition of two kinds rather than apply one (%j)', (filter, field) => {
    expect(refusedField(filter)).toBe(field);
  });

  it('refuses has_id beside a field condition in the top-level must of a walk', () => {
    expect(() =>
      translateSelection({ must: [{ has_id: [1, 2], key: 'tag', match: { value: 'odd' } }] }),
    ).toThrow(expect.objectContaining({ extras: { field: 'filter.must[0].key' } }));
  });

  it('selects everything for an absent or empty filter', () => {
    expect(translateFilter(undefined)).toBeUndefined();
    expect(translateFilter({})).toBeUndefined();
    expect(translateFilter({ must: [] })).toBeUndefined();
    expect(translateFilter({ must_not: [{ should: [] }], should: null })).toBeUndefined();
  });

  it('selects no point for an empty should, as Qdrant does, never every point', () => {
    const nothing = {
      $and: [{ none: { $exists: true } }, { none: { $exists: false } }],
    };
    expect(translateFilter({ should: [] })).toEqual(nothing);
    expect(translateFilter({ must_not: [{ must: [] }] })).toEqual(nothing);
    expect(translateFilter({ must: [{ key: 'a', match: { value: 1 } }, { should: [] }] })).toEqual(
      nothing,
    );
    expect(
      translateFilter({ should: [{ should: [] }, { key: 'a', match: { value: 1 } }] }),
    ).toEqual({ a: { $eq: 1 } });
  });

  it('reads match any of no value as Qdrant does: no point, and every point under must_not', () => {
    const nothing = {
      $and: [{ none: { $exists: true } }, { none: { $exists: false } }],
    };
    expect(translateFilter({ must: [{ key: 'a', match: { any: [] } }] })).toEqual(nothing);
    expect(
      translateFilter({ must: [{ key: 'a', match: { any: [] }, range: { gte: 1 } }] }),
    ).toEqual(nothing);
    expect(translateFilter({ must_not: [{ key: 'a', match: { any: [] } }] })).toBeUndefined();
    expect(
      translateFilter({
        should: [
          { key: 'a', match: { any: [] } },
          { key: 'b', match: { any: ['x'] } },
        ],
      }),
    ).toEqual({ b: { $in: ['x'] } });
  });

  it('counts conditions across the whole filter before translating them', () => {
    const leaf = (i: number) => ({ key: `k${i}`, match: { value: i } });
    // 64 nested filters of one condition each: 128 conditions, 64 comparisons.
    const nested = { should: Array.from({ length: 64 }, (_, i) => ({ must: [leaf(i)] })) };
    expect(translateFilter(nested)).toEqual({
      $or: Array.from({ length: 64 }, (_, i) => ({ [`k${i}`]: { $eq: i } })),
    });
    // Lists of 64 nested three deep: 266,304 conditions, refused at the first list past 256.
    const wide = (depth: number): unknown =>
      depth === 0
        ? leaf(0)
        : { must_not: [{ should: Array.from({ length: 64 }, () => wide(depth - 1)) }] };
    expect(refusedField(wide(3))).toMatch(/^filter\.must_not\[0\]\.should\[0\]\..*\.should$/);
    expect(() => translateFilter(wide(3))).toThrow(/at most 256 conditions/);
  });

  it('refuses what it cannot translate, naming where', () => {
    expect(refusedField({ must: [{ has_id: [1] }] })).toBe('filter.must[0].has_id');
    expect(refusedField({ must: [{ key: 'a', match: { text: 'x' } }] })).toBe(
      'filter.must[0].match',
    );
    expect(refusedField({ must: [{ key: 'a', geo_radius: {} }] })).toBe(
      'filter.must[0].geo_radius',
    );
    expect(refusedField({ min_should: { conditions: [], min_count: 1 } })).toBe(
      'filter.min_should',
    );
    expect(refusedField({ must: 'x' })).toBe('filter.must[0]');
    expect(refusedField({ must: [{ key: 'a', match: { value: 1 } }, {}] })).toBe('filter.must[1]');
    let deep: Record<string, unknown> = { key: 'a', match: { value: 1 } };
    for (let i = 0; i < 20; i++) deep = { must: [deep] };
    expect(refusedField(deep)).toMatch(/^filter(\.must\[0\])+$/);
  });
});

describe('Qdrant selections with has_id', () => {
  it('takes has_id from the top-level must, intersecting several, beside the rest of the filter', () => {
    expect(
      translateSelection({
        must: [{ has_id: [1, 2, 3] }, { key: 'a', match: { value: 1 } }, { has_id: [3, 2, 9] }],
      }),
    ).toEqual({ filter: { a: { $eq: 1 } }, ids: new Set(['2', '3']) });
    expect(translateSelection({ must: { has_id: [5] } })).toEqual({ ids: new Set(['5']) });
    expect(translateSelection({ must: [{ key: 'a', match: { value: 1 } }] })).toEqual({
      filter: { a: { $eq: 1 } },
    });
    expect(translateSelection(undefined)).toEqual({});
  });

  it('refuses has_id anywhere else, and ids Qdrant does not have', () => {
    expect(() => translateSelection({ must_not: [{ has_id: [1] }] })).toThrow(BadRequestError);
    expect(() => translateSelection({ should: [{ has_id: [1] }] })).toThrow(BadRequestError);
    expect(() => translateSelection({ must: [{ has_id: ['doc-7'] }] })).toThrow(BadRequestError);
  });
});

describe('Qdrant point ids', () => {
  it('stores integers as decimal strings and UUIDs in canonical form', () => {
    expect(recordIdOf(42, 'id')).toBe('42');
    expect(recordIdOf('{A4F3C1B2-0000-4000-8000-000000000001}', 'id')).toBe(
      'a4f3c1b2-0000-4000-8000-000000000001',
    );
    expect(pointIdOf('42')).toBe(42);
    expect(pointIdOf('a4f3c1b2-0000-4000-8000-000000000001')).toBe(
      'a4f3c1b2-0000-4000-8000-000000000001',
    );
  });

  it('refuses other ids, and answers no Qdrant id for records written under them', () => {
    for (const id of [-1, 1.5, 2 ** 53, '42', 'doc-7', null, '{A4F3C1B2000040008000000000000001}'])
      expect(() => recordIdOf(id, 'id')).toThrow(BadRequestError);
    for (const id of ['042', 'doc-7', 'A4F3C1B2-0000-4000-8000-000000000001', '9007199254740993'])
      expect(pointIdOf(id)).toBeUndefined();
  });
});
