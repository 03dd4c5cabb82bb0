import Database from 'better-sqlite3';
import { FilterNode, Metadata, Scalar } from '../../ports/vector.types';
import { compileSqliteFilter } from '../embedded/embedded.filter';
import { compileFilter, TemplateValue, TemplateValues } from './milvus.filter';
import { primaryKeysFilter, scopedFilter, tenantWideFilter, userFilter } from './milvus.scope';
import { filterIndexOf, FilterIndex } from './milvus.schema';
import { rng } from '../../../../../test/support/rng';
import { parse } from '../../../../../test/wire/milvus/expression';
import * as shared from '../../../../../test/support/filter-cases';
import { compileRowFilter } from '../embedded/embedded.row-filter';

const UID = '0123456789abcdef0123456789abcdef';
const SCOPE = { tenantUid: UID, namespace: '' };

// --- records both backends see ---------------------------------------------------------------

const RECORDS: Record<string, Metadata> = {
  int5: { v: 5, kind: 'a' },
  str5: { v: '5', kind: 'a' },
  frac: { v: 5.5, kind: 'b' },
  true: { v: true },
  false: { v: false },
  one: { v: 1 },
  zero: { v: 0 },
  neg: { v: -2.5 },
  big: { v: 100, kind: 'b' },
  strA: { v: 'a' },
  jsonNull: { v: null },
  object: { v: { x: 5 } },
  empty: {},
  otherField: { w: 5 },
  arrMixed: { v: ['a', 5, true, 2.5], kind: 'c' },
  arrNested: { v: [[5], { x: 5 }, null, 'z'] },
  arrEmpty: { v: [] },
  arrNums: { v: [-3, 7, 10], w: 'x' },
  quotes: { v: `" || true || "`, kind: `it's` },
};

const FIELDS = ['v', 'kind', 'w', 'missing'];
const VALUES: Scalar[] = [
  5,
  '5',
  5.5,
  2.5,
  true,
  false,
  0,
  1,
  -2.5,
  100,
  7,
  'a',
  'b',
  'z',
  `" || true || "`,
  `it's`,
  -3,
  10,
];

function randomFilter(next: () => number, depth: number): FilterNode {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const roll = next();
  if (depth > 0 && roll < 0.25) {
    const nodes = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
      randomFilter(next, depth - 1),
    );
    return { op: next() < 0.5 ? '$and' : '$or', nodes };
  }
  const field = pick(FIELDS);
  if (roll < 0.45) {
    const values = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(VALUES));
    return { op: next() < 0.5 ? '$in' : '$nin', field, values };
  }
  const op = pick(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte'] as const);
  return { op, field, value: pick(VALUES) };
}

describe('Milvus filter templates', () => {
  describe('shape', () => {
    it('puts the tenant and namespace condition first, as template values, and nothing else without a filter', () => {
      expect(scopedFilter(SCOPE)).toEqual({
        expr: '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns})',
        values: { vg_tenant: UID, vg_ns: '' },
      });
      expect(scopedFilter({ tenantUid: UID, namespace: 'docs' }).values).toEqual({
        vg_tenant: UID,
        vg_ns: 'docs',
      });
    });

    it('names the tenant alone only for an erasure, which reaches every namespace', () => {
      expect(tenantWideFilter(UID)).toEqual({
        expr: '(_vg_tenant == {vg_tenant})',
        values: { vg_tenant: UID },
      });
    });

    it('refuses an empty or malformed tenant uid or namespace before building anything', () => {
      for (const uid of ['', 'abc', 'A'.repeat(32), `${UID}x`, `${UID.slice(0, 31)}"`]) {
        expect(() => scopedFilter({ tenantUid: uid, namespace: '' })).toThrow(/32 hex/);
        expect(() => tenantWideFilter(uid)).toThrow(/32 hex/);
      }
      for (const namespace of ['_vg', 'a/b', 'a"', 'x'.repeat(65), ' ', undefined]) {
        expect(() => scopedFilter({ tenantUid: UID, namespace: namespace as string })).toThrow(
          /namespace/,
        );
      }
    });

    it('looks records up by primary key only inside the tenant and namespace condition', () => {
      expect(primaryKeysFilter(SCOPE, [`${UID}:a`, `${UID}:b"c`])).toEqual({
        expr: '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && (_vg_pk in {vg_pks})',
        values: { vg_tenant: UID, vg_ns: '', vg_pks: [`${UID}:a`, `${UID}:b"c`] },
      });
      expect(() => primaryKeysFilter(SCOPE, [])).toThrow(/empty/);
    });

    it('translates each operator to a template over the _vg_filter index', () => {
      const cases: [FilterNode, string, Record<string, TemplateValue>][] = [
        [
          { op: '$eq', field: 'loc.lines.from', value: 'x' },
          'json_contains(_vg_filter["str"]["loc.lines.from"], {p0})',
          { p0: 'x' },
        ],
        [
          { op: '$exists', field: 'metadata.source', value: true },
          'json_contains(_vg_filter["keys"], {p0})',
          { p0: 'metadata.source' },
        ],
        [
          { op: '$exists', field: 'a', value: false },
          '!json_contains(_vg_filter["keys"], {p0})',
          { p0: 'a' },
        ],
        [
          { op: '$eq', field: 'color', value: 'red' },
          'json_contains(_vg_filter["str"]["color"], {p0})',
          { p0: 'red' },
        ],
        [
          { op: '$eq', field: 'n', value: 5 },
          'json_contains(_vg_filter["num"]["n"], {p0})',
          { p0: 5 },
        ],
        [
          { op: '$eq', field: 'b', value: false },
          'json_contains(_vg_filter["bool"]["b"], {p0})',
          { p0: false },
        ],
        [
          { op: '$ne', field: 'color', value: 'red' },
          '(json_contains(_vg_filter["keys"], {p0}) && !json_contains(_vg_filter["str"]["color"], {p1}))',
          { p0: 'color', p1: 'red' },
        ],
        [
          { op: '$in', field: 'x', values: ['a', 1, 2.5, true, 'a', 3] },
          '(json_contains_any(_vg_filter["str"]["x"], {p0}) || json_contains_any(_vg_filter["num"]["x"], {p1}) || json_contains_any(_vg_filter["num"]["x"], {p2}) || json_contains_any(_vg_filter["bool"]["x"], {p3}))',
          { p0: ['a'], p1: [1, 3], p2: [2.5], p3: [true] },
        ],
        [
          { op: '$nin', field: 'x', values: ['a'] },
          '(json_contains(_vg_filter["keys"], {p0}) && !(json_contains_any(_vg_filter["str"]["x"], {p1})))',
          { p0: 'x', p1: ['a'] },
        ],
        [{ op: '$gt', field: 'n', value: 1 }, '_vg_filter["max"]["n"] > {p0}', { p0: 1 }],
        [{ op: '$gte', field: 'n', value: 1.5 }, '_vg_filter["max"]["n"] >= {p0}', { p0: 1.5 }],
        [{ op: '$lt', field: 'n', value: -1 }, '_vg_filter["min"]["n"] < {p0}', { p0: -1 }],
        [{ op: '$lte', field: 'n', value: 0 }, '_vg_filter["min"]["n"] <= {p0}', { p0: 0 }],
        [
          { op: '$gt', field: 'n', value: 'a' },
          'json_contains(_vg_filter["keys"], {p0})',
          { p0: '' },
        ],
        [
          {
            op: '$or',
            nodes: [
              { op: '$eq', field: 'a', value: 1 },
              { op: '$eq', field: 'b', value: 'x' },
            ],
          },
          '(json_contains(_vg_filter["num"]["a"], {p0}) || json_contains(_vg_filter["str"]["b"], {p1}))',
          { p0: 1, p1: 'x' },
        ],
      ];
      for (const [node, expr, values] of cases) {
        const bound = new TemplateValues();
        expect(compileFilter(node, bound)).toBe(expr);
        expect(bound.all()).toEqual(values);
      }
    });

    it('wraps a user filter so that it can only narrow the tenant condition', () => {
      const filter = userFilter(SCOPE, {
        op: '$or',
        nodes: [
          { op: '$eq', field: 'a', value: 'x' },
          { op: '$eq', field: 'a', value: 'y' },
        ],
      });
      expect(filter.expr).toBe(
        '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && ((json_contains(_vg_filter["str"]["a"], {p0}) || json_contains(_vg_filter["str"]["a"], {p1})))',
      );
      expect(filter.values).toEqual({ p0: 'x', p1: 'y', vg_tenant: UID, vg_ns: '' });
    });

    it('refuses integers Milvus cannot carry exactly, empty lists and invalid field names', () => {
      const bound = new TemplateValues();
      expect(() => compileFilter({ op: '$eq', field: 'n', value: 2 ** 53 }, bound)).toThrow(
        /9007199254740991/,
      );
      expect(() => compileFilter({ op: '$in', field: 'n', values: [] }, bound)).toThrow(/empty/);
      expect(() => compileFilter({ op: '$and', nodes: [] }, bound)).toThrow(/without/);
      for (const field of ['a"]', 'a b', '', 'x'.repeat(129), 'a)||(b', 'a..b', 'a.']) {
        expect(() => compileFilter({ op: '$eq', field, value: 1 }, bound)).toThrow(/field/);
        expect(() => compileFilter({ op: '$gt', field, value: 'x' }, bound)).toThrow(/field/);
      }
    });

    it('never puts a value into the expression, whatever it contains', () => {
      const hostile = [
        `" || true || "`,
        `') or 1=1 --`,
        '\\',
        '\\"',
        'a\u0000b',
        '{vg_tenant}',
        '})) || ((',
        '𝕋énant 🦄',
        `_vg_tenant != ""`,
      ];
      for (const value of hostile) {
        const filter = userFilter(SCOPE, {
          op: '$and',
          nodes: [
            { op: '$eq', field: 's', value },
            { op: '$nin', field: 's', values: [value, 'x'] },
          ],
        });
        expect(filter.expr).toBe(
          '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && ((json_contains(_vg_filter["str"]["s"], {p0}) && (json_contains(_vg_filter["keys"], {p1}) && !(json_contains_any(_vg_filter["str"]["s"], {p2})))))',
        );
        expect(filter.values).toEqual({
          p0: value,
          p1: 's',
          p2: [value, 'x'],
          vg_tenant: UID,
          vg_ns: '',
        });
      }
    });
  });

  describe('semantics, against the embedded backend on the same records', () => {
    let db: Database.Database;
    const rows = Object.entries(RECORDS).map(([label, metadata]) => ({
      label,
      row: {
        _vg_tenant: UID,
        _vg_ns: '',
        _vg_filter: JSON.parse(JSON.stringify(filterIndexOf(metadata))) as FilterIndex,
      },
    }));

    beforeAll(() => {
      db = new Database(':memory:');
      db.exec('CREATE TABLE t (label TEXT NOT NULL, metadata TEXT)');
      const insert = db.prepare('INSERT INTO t (label, metadata) VALUES (?, ?)');
      for (const [label, metadata] of Object.entries(RECORDS)) {
        insert.run(label, JSON.stringify(metadata));
      }
    });

    afterAll(() => db.close());

    function embedded(filter: FilterNode): string[] {
      const compiled = compileSqliteFilter(filter);
      return (
        db
          .prepare(`SELECT label FROM t WHERE ${compiled.sql}`)
          .pluck()
          .all(...compiled.params) as string[]
      ).sort();
    }

    function milvus(filter: FilterNode): string[] {
      const { expr, values } = userFilter(SCOPE, filter);
      const predicate = parse(expr, values);
      return rows
        .filter(({ row }) => predicate(row))
        .map(({ label }) => label)
        .sort();
    }

    it.each([
      ['a missing field matches no $ne', { op: '$ne', field: 'v', value: 'zzz' }],
      ['a missing field matches no $nin', { op: '$nin', field: 'v', values: ['zzz'] }],
      ['"5" is not 5', { op: '$eq', field: 'v', value: 5 }],
      ['true is not 1', { op: '$eq', field: 'v', value: 1 }],
      ['an array matches when one element does', { op: '$eq', field: 'v', value: 'a' }],
      ['$ne holds on an array when no element equals', { op: '$ne', field: 'v', value: 5 }],
      ['a range holds when one element does', { op: '$gt', field: 'v', value: 8 }],
      ['ranges take numbers only', { op: '$lt', field: 'v', value: 'z' }],
      ['fractions compare as numbers', { op: '$in', field: 'v', values: [2.5, 5.5] }],
    ] as [string, FilterNode][])('%s', (_name, filter) => {
      expect(milvus(filter)).toEqual(embedded(filter));
    });

    it('matches the embedded backend on 600 random filters', () => {
      const next = rng(20260501);
      let nonTrivial = 0;
      for (let n = 0; n < 600; n++) {
        const filter = randomFilter(next, 3);
        const expected = embedded(filter);
        expect({ filter, matched: milvus(filter) }).toEqual({ filter, matched: expected });
        if (expected.length > 0 && expected.length < rows.length) nonTrivial++;
      }
      expect(nonTrivial).toBeGreaterThan(200);
    });

    describe('the shared filter cases: dotted keys, nested paths, $exists', () => {
      const cases = Object.entries(shared.RECORDS).map(([label, metadata]) => ({
        label,
        metadata,
        row: {
          _vg_tenant: UID,
          _vg_ns: '',
          _vg_filter: JSON.parse(JSON.stringify(filterIndexOf(metadata))) as FilterIndex,
        },
      }));

      function both(filter: FilterNode): { want: string[]; got: string[] } {
        const test = compileRowFilter(filter);
        const { expr, values } = userFilter(SCOPE, filter);
        const predicate = parse(expr, values);
        const pick = (keep: (c: (typeof cases)[number]) => boolean) =>
          cases
            .filter(keep)
            .map((c) => c.label)
            .sort();
        return { want: pick((c) => test(c.metadata)), got: pick((c) => predicate(c.row)) };
      }

      it('a literal dotted key wins over the nested path, and $exists follows the same rule', () => {
        expect(both({ op: '$eq', field: 'loc.lines.from', value: 5 }).got).toEqual(
          ['dotted', 'halfDotted', 'nested'].sort(),
        );
        expect(both({ op: '$eq', field: 'loc.lines.from', value: '5' }).got).toEqual(['both']);
        expect(both({ op: '$exists', field: 'metadata.source', value: true }).got).toEqual([
          'payload',
        ]);
      });

      it('every comparison and $exists on every shared field matches the embedded backend', () => {
        const mismatches: string[] = [];
        const filters: FilterNode[] = [...shared.EXISTENCE];
        for (const field of shared.FIELDS) {
          for (const value of shared.VALUES) {
            if (
              typeof value === 'number' &&
              !Number.isSafeInteger(value) &&
              Number.isInteger(value)
            )
              continue;
            for (const op of shared.COMPARISONS) filters.push({ op, field, value });
            filters.push(
              { op: '$in', field, values: [value] },
              { op: '$nin', field, values: [value] },
            );
          }
        }
        for (const filter of filters) {
          const { want, got } = both(filter);
          if (want.join() !== got.join())
            mismatches.push(`${JSON.stringify(filter)}: ${got.join()}`);
        }
        expect(mismatches).toEqual([]);
      });

      it('matches the embedded backend on 600 random shared filters', () => {
        const next = rng(20261202);
        for (let n = 0; n < 600; n++) {
          const filter = shared.tree(next, 3);
          const { want, got } = both(filter);
          expect({ filter, got }).toEqual({ filter, got: want });
        }
      });
    });

    it('keeps another tenant and another namespace out whatever the user filter says', () => {
      const other = { ...rows[0]!.row, _vg_tenant: 'f'.repeat(32) };
      const elsewhere = { ...rows[0]!.row, _vg_ns: 'docs' };
      const { expr, values } = userFilter(SCOPE, {
        op: '$or',
        nodes: [
          { op: '$ne', field: 'v', value: 'zzz' },
          { op: '$eq', field: 'v', value: 5 },
        ],
      });
      const predicate = parse(expr, values);
      expect(predicate(rows[0]!.row)).toBe(true);
      expect(predicate(other)).toBe(false);
      expect(predicate(elsewhere)).toBe(false);
    });
  });
});
