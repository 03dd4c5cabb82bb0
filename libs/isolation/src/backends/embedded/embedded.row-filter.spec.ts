import Database from 'better-sqlite3';
import { rng } from '../../../../../test/support/rng';
import { FilterNode, Metadata, MetadataValue, Scalar } from '../../ports/vector.types';
import { compileRowFilter } from './embedded.row-filter';
import { compileSqliteFilter } from './embedded.filter';

const FIELDS = ['a', 'b', 'c', 'constructor', '__proto__'];
const STRINGS = ['', 'x', 'y', '5', 'true', 'Ä', 'x '];
const NUMBERS = [0, -0, 1, 5, 5.5, -2, 1e20, 2 ** 53];

/** Random scalars drawn from small pools, so that equalities actually happen. */
function scalarOf(next: () => number): Scalar {
  const pick = next();
  if (pick < 0.4) return STRINGS[Math.floor(next() * STRINGS.length)] as string;
  if (pick < 0.85) return NUMBERS[Math.floor(next() * NUMBERS.length)] as number;
  return next() < 0.5;
}

function valueOf(next: () => number, depth = 0): MetadataValue {
  const pick = next();
  if (pick < 0.55) return scalarOf(next);
  if (pick < 0.62) return null;
  if (pick < 0.9 && depth < 2) {
    const length = Math.floor(next() * 5);
    return Array.from({ length }, () => valueOf(next, depth + 1));
  }
  return { x: scalarOf(next) };
}

function metadataOf(next: () => number): Metadata | undefined {
  if (next() < 0.05) return undefined;
  const metadata: Metadata = {};
  for (const field of FIELDS) {
    // JSON.parse makes `__proto__` an own property, as the store's metadata is read back.
    if (next() < 0.6) metadata[field] = valueOf(next);
  }
  return JSON.parse(JSON.stringify(metadata)) as Metadata;
}

function filterOf(next: () => number, depth = 0): FilterNode {
  const field = FIELDS[Math.floor(next() * FIELDS.length)] as string;
  const pick = next();
  if (depth < 3 && pick < 0.2) {
    const nodes = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
      filterOf(next, depth + 1),
    );
    return { op: next() < 0.5 ? '$and' : '$or', nodes };
  }
  if (pick < 0.45) return { op: next() < 0.5 ? '$eq' : '$ne', field, value: scalarOf(next) };
  if (pick < 0.7) {
    const values = Array.from({ length: 1 + Math.floor(next() * 4) }, () => scalarOf(next));
    return { op: next() < 0.5 ? '$in' : '$nin', field, values };
  }
  const ops = ['$gt', '$gte', '$lt', '$lte'] as const;
  const op = ops[Math.floor(next() * ops.length)] as (typeof ops)[number];
  return { op, field, value: NUMBERS[Math.floor(next() * NUMBERS.length)] as number };
}

describe('compileRowFilter', () => {
  let db: Database.Database;

  beforeAll(() => {
    db = new Database(':memory:');
    db.exec('CREATE TABLE t (row INTEGER PRIMARY KEY, metadata TEXT)');
  });

  afterAll(() => db.close());

  function load(records: (Metadata | undefined)[]): void {
    db.exec('DELETE FROM t');
    const insert = db.prepare('INSERT INTO t (row, metadata) VALUES (?, ?)');
    records.forEach((metadata, row) =>
      insert.run(row, metadata === undefined ? null : JSON.stringify(metadata)),
    );
  }

  function sqliteRows(filter: FilterNode): number[] {
    const compiled = compileSqliteFilter(filter);
    return db
      .prepare(`SELECT row FROM t WHERE ${compiled.sql} ORDER BY row`)
      .pluck()
      .all(...compiled.params) as number[];
  }

  function memoryRows(filter: FilterNode, records: (Metadata | undefined)[]): number[] {
    const predicate = compileRowFilter(filter);
    const rows: number[] = [];
    records.forEach((metadata, row) => {
      if (predicate(metadata)) rows.push(row);
    });
    return rows;
  }

  it('matches exactly the records the SQLite translation matches, on random filters', () => {
    const next = rng(20261202);
    const records = Array.from({ length: 150 }, () => metadataOf(next));
    load(records);
    let nonTrivial = 0;
    for (let i = 0; i < 1500; i++) {
      const filter = filterOf(next);
      const expected = sqliteRows(filter);
      if (expected.length > 0 && expected.length < records.length) nonTrivial++;
      expect({ filter, rows: memoryRows(filter, records) }).toEqual({ filter, rows: expected });
    }
    // The generator must produce filters that split the records, or the comparison proves little.
    expect(nonTrivial).toBeGreaterThan(500);
  });

  it.each([
    ['$eq', { op: '$eq', field: 'v', value: 5 }],
    ['$ne', { op: '$ne', field: 'v', value: 5 }],
    ['$in', { op: '$in', field: 'v', values: [5, 'a', true] }],
    ['$nin', { op: '$nin', field: 'v', values: ['zzz'] }],
    ['$gt', { op: '$gt', field: 'v', value: -1000 }],
  ] as [string, FilterNode][])(
    'matches no %s comparison on a missing, null or object field',
    (_op, filter) => {
      const predicate = compileRowFilter(filter);
      for (const metadata of [undefined, {}, { w: 5 }, { v: null }, { v: { x: 5 } }])
        expect(predicate(metadata as Metadata | undefined)).toBe(false);
    },
  );

  it('reads a dotted field from the literal dotted key when present, else the nested path', () => {
    const eq = (value: Scalar) => compileRowFilter({ op: '$eq', field: 'loc.lines.from', value });
    expect(eq(1)({ 'loc.lines.from': 1 })).toBe(true);
    expect(eq(1)({ loc: { lines: { from: 1 } } })).toBe(true);
    expect(eq(1)({ loc: { 'lines.from': 1 } })).toBe(true);
    expect(eq(1)({ 'loc.lines.from': 2, loc: { lines: { from: 1 } } })).toBe(false);
    expect(eq(2)({ 'loc.lines.from': 2, loc: { lines: { from: 1 } } })).toBe(true);
    expect(eq(1)({ 'loc.lines.from': null, loc: { lines: { from: 1 } } })).toBe(false);
    expect(eq(1)({ loc: [{ lines: { from: 1 } }] })).toBe(false);
  });

  it('makes $exists true for a comparable value only, and false for missing, null and objects', () => {
    const exists = (value: boolean) =>
      compileRowFilter({ op: '$exists', field: 'meta.src', value });
    for (const present of [
      { meta: { src: 'a' } },
      { 'meta.src': [] },
      { meta: { src: false } },
    ] as Metadata[]) {
      expect([exists(true)(present), exists(false)(present)]).toEqual([true, false]);
    }
    for (const absent of [
      undefined,
      {},
      { meta: null },
      { meta: { src: null } },
      { meta: { src: {} } },
    ] as (Metadata | undefined)[]) {
      expect([exists(true)(absent), exists(false)(absent)]).toEqual([false, true]);
    }
  });

  it('matches the SQLite translation on dotted fields and $exists', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (label TEXT, metadata TEXT)');
    const rows: Record<string, Metadata | undefined> = {
      literal: { 'a.b': 1 },
      nested: { a: { b: 1 } },
      both: { 'a.b': '1', a: { b: 1 } },
      nullLiteral: { 'a.b': null, a: { b: 1 } },
      half: { a: { 'b.c': 2 } },
      deep: { a: { b: { c: 2 } } },
      none: undefined,
    };
    for (const [label, metadata] of Object.entries(rows)) {
      db.prepare('INSERT INTO t VALUES (?, ?)').run(
        label,
        metadata ? JSON.stringify(metadata) : null,
      );
    }
    const filters: FilterNode[] = ['a.b', 'a.b.c', 'a'].flatMap((field) => [
      { op: '$eq', field, value: 1 },
      { op: '$eq', field, value: '1' },
      { op: '$ne', field, value: 1 },
      { op: '$gt', field, value: 1 },
      { op: '$exists', field, value: true },
      { op: '$exists', field, value: false },
    ]);
    for (const filter of filters) {
      const compiled = compileSqliteFilter(filter);
      const viaSql = (
        db
          .prepare(`SELECT label FROM t WHERE ${compiled.sql}`)
          .pluck()
          .all(...compiled.params) as string[]
      ).sort();
      const test = compileRowFilter(filter);
      const inMemory = Object.entries(rows)
        .filter(([, metadata]) => test(metadata))
        .map(([label]) => label)
        .sort();
      expect({ filter, labels: inMemory }).toEqual({ filter, labels: viaSql });
    }
    db.close();
  });

  it('never reads a field from the object prototype', () => {
    const predicate = compileRowFilter({ op: '$ne', field: 'constructor', value: 'x' });
    expect(predicate({})).toBe(false);
    expect(predicate({ constructor: 'y' })).toBe(true);
  });

  it('compares within JSON types: the string "5" is not the number 5, true is not 1', () => {
    expect(compileRowFilter({ op: '$eq', field: 'v', value: 5 })({ v: '5' })).toBe(false);
    expect(compileRowFilter({ op: '$eq', field: 'v', value: 1 })({ v: true })).toBe(false);
    expect(compileRowFilter({ op: '$ne', field: 'v', value: 5 })({ v: '5' })).toBe(true);
  });

  it('holds on an array when one element matches, and $nin when none does', () => {
    const metadata = { v: [1, 'a', [5], { x: 5 }] } as Metadata;
    expect(compileRowFilter({ op: '$eq', field: 'v', value: 'a' })(metadata)).toBe(true);
    expect(compileRowFilter({ op: '$eq', field: 'v', value: 5 })(metadata)).toBe(false);
    expect(compileRowFilter({ op: '$nin', field: 'v', values: [5, 'b'] })(metadata)).toBe(true);
    expect(compileRowFilter({ op: '$nin', field: 'v', values: [1] })(metadata)).toBe(false);
    expect(compileRowFilter({ op: '$ne', field: 'v', value: 1 })({ v: [] })).toBe(true);
  });
});
