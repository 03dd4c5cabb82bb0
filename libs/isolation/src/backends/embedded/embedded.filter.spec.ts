import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilterNode, Scalar } from '../../ports/vector.types';
import { compileSqliteFilter } from './embedded.filter';

/** Rows by label; a string is stored as raw JSON text, `null` as a NULL metadata column. */
const ROWS: Record<string, object | string | null> = {
  int5: { v: 5, kind: 'a' },
  real5: '{"v":5.0,"kind":"b"}',
  str5: { v: '5', kind: 'a' },
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
  noMetadata: null,
};

const SCALAR_V = ['int5', 'real5', 'str5', 'true', 'false', 'one', 'zero', 'neg', 'big', 'strA'];

describe('compileSqliteFilter', () => {
  let dir: string;
  let db: Database.Database;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-filter-'));
    db = new Database(join(dir, 'filter.db'));
    db.exec('CREATE TABLE t (label TEXT NOT NULL, metadata TEXT)');
    const insert = db.prepare('INSERT INTO t (label, metadata) VALUES (?, ?)');
    for (const [label, metadata] of Object.entries(ROWS)) {
      insert.run(
        label,
        metadata === null
          ? null
          : typeof metadata === 'string'
            ? metadata
            : JSON.stringify(metadata),
      );
    }
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Labels of the rows the filter matches, sorted. */
  function match(filter: FilterNode): string[] {
    const compiled = compileSqliteFilter(filter);
    const labels = db
      .prepare(`SELECT label FROM t WHERE ${compiled.sql}`)
      .pluck()
      .all(...compiled.params) as string[];
    return labels.sort();
  }

  const sorted = (labels: string[]) => [...labels].sort();
  const eq = (field: string, value: Scalar): FilterNode => ({ op: '$eq', field, value });

  describe('a field missing from a record', () => {
    it.each([
      ['$eq', { op: '$eq', field: 'v', value: 5 }],
      ['$ne', { op: '$ne', field: 'v', value: 5 }],
      ['$ne (string)', { op: '$ne', field: 'v', value: 'zzz' }],
      ['$in', { op: '$in', field: 'v', values: [5, 'a', true] }],
      ['$nin', { op: '$nin', field: 'v', values: ['zzz'] }],
      ['$gt', { op: '$gt', field: 'v', value: -1000 }],
      ['$lt', { op: '$lt', field: 'v', value: 1000 }],
    ] as [string, FilterNode][])('matches no %s comparison', (_op, filter) => {
      const matched = match(filter);
      for (const label of ['empty', 'otherField', 'noMetadata']) {
        expect(matched).not.toContain(label);
      }
    });

    it('makes $ne and $nin on a field no record has match nothing at all', () => {
      expect(match({ op: '$ne', field: 'absent', value: 'x' })).toEqual([]);
      expect(match({ op: '$nin', field: 'absent', values: ['x', 1, false] })).toEqual([]);
    });

    it('treats a null or object value like a missing field', () => {
      const notScalar = ['jsonNull', 'object'];
      for (const filter of [
        eq('v', 5),
        eq('v', '5'),
        eq('v', true),
        { op: '$ne', field: 'v', value: 'zzz' },
        { op: '$nin', field: 'v', values: ['zzz'] },
        { op: '$gte', field: 'v', value: -1e9 },
      ] as FilterNode[]) {
        const matched = match(filter);
        for (const label of notScalar) expect(matched).not.toContain(label);
      }
    });
  });

  describe('array fields', () => {
    const match2 = (filter: FilterNode): string[] => {
      const compiled = compileSqliteFilter(filter);
      return (
        db
          .prepare(`SELECT label FROM arrays WHERE ${compiled.sql}`)
          .pluck()
          .all(...compiled.params) as string[]
      ).sort();
    };
    beforeAll(() => {
      db.exec('CREATE TABLE arrays (label TEXT NOT NULL, metadata TEXT)');
      const insert = db.prepare('INSERT INTO arrays (label, metadata) VALUES (?, ?)');
      const rows: Record<string, object> = {
        mixed: { tags: [5, '5', true] },
        words: { tags: ['news', 'sport'] },
        nested: { tags: [['news'], { news: 1 }] },
        scalar: { tags: 'news' },
        empty: { tags: [] },
        none: {},
      };
      for (const [label, metadata] of Object.entries(rows))
        insert.run(label, JSON.stringify(metadata));
    });

    it('match $eq and $in when any element matches, within its own type', () => {
      expect(match2(eq('tags', 'news'))).toEqual(['scalar', 'words']);
      expect(match2(eq('tags', 5))).toEqual(['mixed']);
      expect(match2(eq('tags', '5'))).toEqual(['mixed']);
      expect(match2(eq('tags', true))).toEqual(['mixed']);
      expect(match2({ op: '$in', field: 'tags', values: ['sport', 5] })).toEqual([
        'mixed',
        'words',
      ]);
    });

    it('match ranges when any numeric element is in range', () => {
      expect(match2({ op: '$gt', field: 'tags', value: 4 })).toEqual(['mixed']);
      expect(match2({ op: '$lt', field: 'tags', value: 4 })).toEqual([]);
    });

    it('match $ne and $nin only when no element equals, and never a missing field', () => {
      expect(match2({ op: '$ne', field: 'tags', value: 'news' })).toEqual([
        'empty',
        'mixed',
        'nested',
      ]);
      expect(match2({ op: '$nin', field: 'tags', values: ['news', 5] })).toEqual([
        'empty',
        'nested',
      ]);
    });

    it('never match nested arrays or objects inside an array', () => {
      expect(match2({ op: '$in', field: 'tags', values: ['news'] })).not.toContain('nested');
    });
  });

  describe('type-strict equality', () => {
    it('matches the number 5 (integer or real) but never the string "5"', () => {
      expect(match(eq('v', 5))).toEqual(sorted(['int5', 'real5']));
      expect(match(eq('v', 5.0))).toEqual(sorted(['int5', 'real5']));
    });

    it('matches the string "5" but never the number 5', () => {
      expect(match(eq('v', '5'))).toEqual(['str5']);
    });

    it('keeps booleans apart from 1 and 0', () => {
      expect(match(eq('v', true))).toEqual(['true']);
      expect(match(eq('v', 1))).toEqual(['one']);
      expect(match(eq('v', false))).toEqual(['false']);
      expect(match(eq('v', 0))).toEqual(['zero']);
    });

    it('matches an equal value of no row with nothing', () => {
      expect(match(eq('v', 'zzz'))).toEqual([]);
      expect(match(eq('v', 6))).toEqual([]);
    });

    it('makes $ne match every scalar of another value or another type', () => {
      expect(match({ op: '$ne', field: 'v', value: 5 })).toEqual(
        sorted(SCALAR_V.filter((l) => l !== 'int5' && l !== 'real5')),
      );
      expect(match({ op: '$ne', field: 'v', value: true })).toEqual(
        sorted(SCALAR_V.filter((l) => l !== 'true')),
      );
      expect(match({ op: '$ne', field: 'v', value: '5' })).toEqual(
        sorted(SCALAR_V.filter((l) => l !== 'str5')),
      );
    });
  });

  describe('ranges', () => {
    it('compare numbers only, never strings or booleans', () => {
      expect(match({ op: '$gt', field: 'v', value: 4 })).toEqual(sorted(['int5', 'real5', 'big']));
      expect(match({ op: '$gte', field: 'v', value: 5 })).toEqual(sorted(['int5', 'real5', 'big']));
      expect(match({ op: '$lt', field: 'v', value: 1 })).toEqual(sorted(['zero', 'neg']));
      expect(match({ op: '$lte', field: 'v', value: 1 })).toEqual(sorted(['zero', 'neg', 'one']));
      expect(match({ op: '$gt', field: 'v', value: -3 })).toEqual(
        sorted(['int5', 'real5', 'one', 'zero', 'neg', 'big']),
      );
    });

    it('match nothing when given a non-number (defence behind the parser)', () => {
      expect(match({ op: '$gt', field: 'v', value: '0' })).toEqual([]);
      expect(match({ op: '$lt', field: 'v', value: true })).toEqual([]);
    });

    it('respect the strictness of the bound', () => {
      expect(match({ op: '$gt', field: 'v', value: 5 })).toEqual(['big']);
      expect(match({ op: '$lt', field: 'v', value: -2.5 })).toEqual([]);
      expect(match({ op: '$lte', field: 'v', value: -2.5 })).toEqual(['neg']);
    });
  });

  describe('$in and $nin', () => {
    it('$in with mixed types matches each value within its own type', () => {
      expect(match({ op: '$in', field: 'v', values: ['5', true] })).toEqual(
        sorted(['str5', 'true']),
      );
      expect(match({ op: '$in', field: 'v', values: [5, 'a', false] })).toEqual(
        sorted(['int5', 'real5', 'strA', 'false']),
      );
      expect(match({ op: '$in', field: 'v', values: [1, 0] })).toEqual(sorted(['one', 'zero']));
      expect(match({ op: '$in', field: 'v', values: [true, false, true] })).toEqual(
        sorted(['true', 'false']),
      );
    });

    it('$nin with mixed types excludes exactly the listed values and keeps missing fields out', () => {
      expect(match({ op: '$nin', field: 'v', values: [5, 'a', true] })).toEqual(
        sorted(['str5', 'false', 'one', 'zero', 'neg', 'big']),
      );
      expect(match({ op: '$nin', field: 'v', values: ['zzz'] })).toEqual(sorted(SCALAR_V));
    });
  });

  describe('$and and $or', () => {
    it('combines clauses with the logic of the tree', () => {
      expect(
        match({ op: '$and', nodes: [eq('kind', 'a'), { op: '$gt', field: 'v', value: 0 }] }),
      ).toEqual(['int5']);
      expect(match({ op: '$or', nodes: [eq('v', '5'), eq('v', true)] })).toEqual(
        sorted(['str5', 'true']),
      );
      expect(
        match({
          op: '$or',
          nodes: [
            { op: '$and', nodes: [eq('kind', 'b'), { op: '$lt', field: 'v', value: 10 }] },
            { op: '$and', nodes: [eq('kind', 'a'), eq('v', '5')] },
          ],
        }),
      ).toEqual(sorted(['real5', 'str5']));
    });

    it('keeps a missing field false inside $or (no unscoped widening)', () => {
      expect(
        match({ op: '$or', nodes: [{ op: '$ne', field: 'w', value: 1 }, eq('v', 1)] }),
      ).toEqual(sorted(['otherField', 'one']));
      expect(
        match({ op: '$and', nodes: [{ op: '$ne', field: 'w', value: 5 }, eq('v', 5)] }),
      ).toEqual([]);
    });
  });

  describe('hostile values', () => {
    const HOSTILE = [
      `' OR 1=1 --`,
      `x'); DROP TABLE t; --`,
      `" OR ""="`,
      `a\\b`,
      `\\' OR \\'1\\'=\\'1`,
      `nul\u0000byte`,
      `\u0000`,
      `tenant_uid = 'x' OR 1`,
      `$.v`,
      `𝕋énant 🦄 ﷽`,
      `e\u0301`,
      `*/ UNION SELECT sqlite_version() /*`,
    ];
    let hostileDb: Database.Database;

    beforeAll(() => {
      hostileDb = new Database(join(dir, 'hostile.db'));
      hostileDb.exec('CREATE TABLE h (label TEXT NOT NULL, metadata TEXT)');
      const insert = hostileDb.prepare('INSERT INTO h (label, metadata) VALUES (?, ?)');
      HOSTILE.forEach((value, i) => insert.run(`h${i}`, JSON.stringify({ s: value })));
      // Near-misses: the same text with a prefix, a suffix, or cut at the NUL.
      HOSTILE.forEach((value, i) => {
        insert.run(`pre${i}`, JSON.stringify({ s: `x${value}` }));
        insert.run(`suf${i}`, JSON.stringify({ s: `${value} ` }));
      });
      insert.run('nulPrefix', JSON.stringify({ s: 'nul' }));
      insert.run('composed', JSON.stringify({ s: 'é' }));
    });

    afterAll(() => hostileDb.close());

    function hostileMatch(filter: FilterNode): string[] {
      const compiled = compileSqliteFilter(filter);
      return (
        hostileDb
          .prepare(`SELECT label FROM h WHERE ${compiled.sql}`)
          .pluck()
          .all(...compiled.params) as string[]
      ).sort();
    }

    it.each(HOSTILE.map((value, i) => [JSON.stringify(value), value, i] as const))(
      'binds %s as a parameter that matches only the row holding exactly that value',
      (_label, value, i) => {
        const filters: FilterNode[] = [
          eq('s', value),
          { op: '$in', field: 's', values: [value] },
          { op: '$or', nodes: [eq('s', value), eq('s', value)] },
        ];
        for (const filter of filters) {
          const compiled = compileSqliteFilter(filter);
          expect(compiled.sql.includes(value)).toBe(false);
          expect(compiled.params).toContain(value);
          expect(hostileMatch(filter)).toEqual([`h${i}`]);
        }
        const total = hostileDb.prepare('SELECT count(*) FROM h').pluck().get() as number;
        expect(hostileMatch({ op: '$ne', field: 's', value })).toHaveLength(total - 1);
        expect(hostileMatch({ op: '$nin', field: 's', values: [value] })).not.toContain(`h${i}`);
      },
    );

    it('leaves the table intact after every hostile query', () => {
      for (const value of HOSTILE) hostileMatch(eq('s', value));
      const total = hostileDb.prepare('SELECT count(*) FROM h').pluck().get();
      expect(total).toBe(HOSTILE.length * 3 + 2);
    });

    it('never splices a field name into the SQL: it travels as a bound JSON path', () => {
      const compiled = compileSqliteFilter({
        op: '$and',
        nodes: [eq('secretField', 'x'), { op: '$gt', field: 'otherSecret', value: 1 }],
      });
      expect(compiled.sql).not.toContain('secretField');
      expect(compiled.sql).not.toContain('otherSecret');
      expect(compiled.params).toContain('$."secretField"');
      expect(compiled.params).toContain('$."otherSecret"');
    });

    it('binds only strings and numbers (booleans become JSON type names)', () => {
      const compiled = compileSqliteFilter({ op: '$in', field: 'b', values: [true, 1, 'x'] });
      for (const p of compiled.params) expect(['string', 'number']).toContain(typeof p);
      const placeholders = (compiled.sql.match(/\?/g) ?? []).length;
      expect(placeholders).toBe(compiled.params.length);
    });
  });
});
