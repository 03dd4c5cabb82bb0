import Database from 'better-sqlite3';
import { FilterNode } from '@vecgate/isolation';
import { compileSqliteFilter } from '../../../libs/isolation/src/backends/embedded/embedded.filter';
import { translateFilter } from '../../../libs/isolation/src/backends/qdrant/qdrant.filter';
import { toPoint } from '../../../libs/isolation/src/backends/qdrant/qdrant.payload';
import { compileFilter, Payload, PointView } from './filter-model';
import { COMPARISONS, FIELDS, RECORDS, tree, VALUES } from '../../support/filter-cases';
import { rng } from '../../support/rng';

/**
 * The Qdrant translation must keep the embedded backend's filter semantics. Every filter below
 * runs twice over the same records: as SQL through the embedded compiler on SQLite, and as the
 * translated Qdrant condition through the model of Qdrant's condition checker
 * (filter-model.ts, ported from Qdrant's sources). The matching records must be equal.
 */

const SPACE = { dimension: 1, metric: 'dot' } as const;

describe('Qdrant filter translation keeps the embedded semantics', () => {
  let db: Database.Database;
  let points: PointView[];

  beforeAll(() => {
    db = new Database(':memory:');
    db.exec('CREATE TABLE h (label TEXT NOT NULL, metadata TEXT)');
    const insert = db.prepare('INSERT INTO h (label, metadata) VALUES (?, ?)');
    points = Object.entries(RECORDS).map(([label, metadata]) => {
      insert.run(label, metadata === undefined ? null : JSON.stringify(metadata));
      const scope = { tenantUid: '0'.repeat(32), namespace: '', space: SPACE };
      const point = toPoint(scope, label, {
        id: label,
        values: new Float32Array([1]),
        ...(metadata ? { metadata } : {}),
      });
      // The payload as Qdrant stores it: JSON on the wire.
      return { id: label, payload: JSON.parse(JSON.stringify(point.payload)) as Payload };
    });
  });

  afterAll(() => db.close());

  function viaSqlite(filter: FilterNode): string[] {
    const compiled = compileSqliteFilter(filter);
    return (
      db
        .prepare(`SELECT label FROM h WHERE ${compiled.sql}`)
        .pluck()
        .all(...compiled.params) as string[]
    ).sort();
  }

  function viaQdrant(filter: FilterNode): string[] {
    const condition = translateFilter(filter);
    if (condition === null) return [];
    const matches = compileFilter({ must: [condition] });
    return points
      .filter((p) => matches(p))
      .map((p) => String(p.id))
      .sort();
  }

  it.each(
    FIELDS.flatMap((field) =>
      [...COMPARISONS, '$in', '$nin'].flatMap((op) =>
        VALUES.map((value) => [op, field, value] as const),
      ),
    ).map(([op, field, value]) => [`${field} ${op} ${JSON.stringify(value)}`, op, field, value]),
  )('%s matches the same records', (_label, op, field, value) => {
    const filter: FilterNode =
      op === '$in' || op === '$nin'
        ? { op, field, values: [value] }
        : { op: op as (typeof COMPARISONS)[number], field, value };
    expect(viaQdrant(filter)).toEqual(viaSqlite(filter));
  });

  it('a missing, null or object field matches no comparison, $ne and $nin included', () => {
    for (const op of ['$ne', '$nin'] as const) {
      const filter: FilterNode =
        op === '$ne' ? { op, field: 'v', value: 'zzz' } : { op, field: 'v', values: ['zzz'] };
      const matched = viaQdrant(filter);
      for (const label of ['none', 'empty', 'nullv', 'obj', 'other']) {
        expect(matched).not.toContain(label);
      }
      // An array is comparable even when empty or without scalars: no element equals.
      for (const label of ['emptyArr', 'nullArr', 'objArr', 'nestedArr']) {
        expect(matched).toContain(label);
      }
    }
  });

  it('equality is type-strict and holds for one element of an array', () => {
    expect(viaQdrant({ op: '$eq', field: 'v', value: '5' })).toEqual(
      ['mixedArr', 'str5', 'strArr'].sort(),
    );
    expect(viaQdrant({ op: '$eq', field: 'v', value: 5 })).toEqual(['int5', 'mixedArr', 'numArr']);
    expect(viaQdrant({ op: '$eq', field: 'v', value: true })).toEqual(['mixedArr', 'true']);
    expect(viaQdrant({ op: '$gt', field: 'v', value: 4 })).toEqual(
      ['big', 'int5', 'mixedArr', 'numArr', 'real5'].sort(),
    );
  });

  it('1,500 random nested filters match the same records on both', () => {
    const next = rng(20260427);
    for (let i = 0; i < 1500; i++) {
      const filter = tree(next, 4);
      const sqlite = viaSqlite(filter);
      const qdrant = viaQdrant(filter);
      if (JSON.stringify(sqlite) !== JSON.stringify(qdrant)) {
        throw new Error(
          `filter ${JSON.stringify(filter)}: sqlite ${JSON.stringify(sqlite)}, qdrant ${JSON.stringify(qdrant)}`,
        );
      }
    }
  });
});
