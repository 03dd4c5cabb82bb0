import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  FilterNode,
  LIST_SCAN_ROWS,
  makeTenantScope,
  Metadata,
  MetricName,
  PgvectorBackend,
  StrategyName,
  TenantScope,
  VectorSpace,
} from '@vecgate/isolation';
import { compileRowFilter } from '../../libs/isolation/src/backends/embedded/embedded.row-filter';
import { unstorable } from '../../libs/isolation/src/backends/pgvector/pgvector.values';
import { COMPARISONS, EXISTENCE, FIELDS, RECORDS, tree, VALUES } from '../support/filter-cases';
import { LivePglite, pgliteOptions, startPglite } from '../support/pglite';
import { rng } from '../support/rng';

/**
 * The pgvector backend's own guarantees, live on PGlite with real pgvector: the embedded
 * filter semantics, scores in vecgate's sense for every metric, topK under selective
 * filters, the limits (422 and 507 before anything is created) and values PostgreSQL
 * cannot hold refused with a 4xx, whole batch included; and the statements it sends, with the
 * tenant uid and the namespace bound in every one.
 */

jest.setTimeout(120_000);

const ALL = { includeValues: true, includeMetadata: true } as const;
const NONE = { includeValues: false, includeMetadata: false } as const;

let pglite: LivePglite;
let driver: PgvectorBackend;

/** One table and one partition per table: the limits test reaches both; the rest use partition_key. */
const LIMITS = { tables: 1, partitionsPerTable: 1 };

function scopeOf(
  on: PgvectorBackend,
  strategy: StrategyName,
  space: VectorSpace,
  uid = randomBytes(16).toString('hex'),
): TenantScope {
  const tenantId = `live-${uid.slice(0, 8)}`;
  const placement = on.plan({ tenantId, tenantUid: uid, strategy, space });
  return makeTenantScope({ tenantId, tenantUid: uid, placement, space });
}

async function tenant(strategy: StrategyName, space: VectorSpace): Promise<TenantScope> {
  const scope = scopeOf(driver, strategy, space);
  await driver.checkCapacity(scope);
  await driver.provision(scope);
  return scope;
}

function statusOf(err: unknown): number | undefined {
  return (err as { status?: number }).status;
}

interface Refusal {
  readonly status?: number;
  readonly message: string;
  readonly reason?: string;
  readonly field?: string;
}

async function failure(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise;
  } catch (err) {
    const extras = (err as { extras?: { reason?: string; field?: string } }).extras;
    return {
      status: statusOf(err),
      message: (err as Error).message,
      reason: extras?.reason,
      field: extras?.field,
    };
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  pglite = await startPglite();
  driver = new PgvectorBackend(pgliteOptions(pglite.url, { limits: LIMITS }));
});

afterAll(async () => {
  await driver?.close();
  await pglite?.stop();
});

describe('limits, before anything is created', () => {
  it('refuses a dimension the HNSW index cannot take with 422 at planning', () => {
    for (const strategy of ['collection', 'partition', 'partition_key'] as const) {
      let status: number | undefined;
      try {
        scopeOf(driver, strategy, { dimension: 2001, metric: 'cosine' });
      } catch (err) {
        status = statusOf(err);
      }
      expect(status).toBe(422);
    }
    expect(() =>
      scopeOf(driver, 'partition_key', { dimension: 2000, metric: 'dot' }),
    ).not.toThrow();
  });

  it('refuses a strategy pgvector lacks with 422', () => {
    for (const strategy of ['database', 'namespace', 'dedicated_index'] as const) {
      expect(() => scopeOf(driver, strategy, { dimension: 4, metric: 'cosine' })).toThrow(
        `backend pgvector has no ${strategy} strategy`,
      );
    }
  });

  it('answers 507 naming the limit when a table or partition would exceed it, and creates nothing', async () => {
    const space = { dimension: 3, metric: 'dot' } as const;
    expect(driver.capabilities).toEqual([
      { strategy: 'collection', limit: 1, limitName: 'pgvector.tables' },
      { strategy: 'partition', limit: 1, limitName: 'pgvector.partitions_per_table' },
      { strategy: 'partition_key', limit: null },
    ]);
    for (const [strategy, limit] of [
      ['collection', 'pgvector.tables'],
      ['partition', 'pgvector.partitions_per_table'],
    ] as const) {
      const first = await tenant(strategy, space);
      // A repeated check of an existing tenant still fits: provisioning is idempotent.
      await driver.checkCapacity(first);
      const second = scopeOf(driver, strategy, space);
      const refused = await failure(driver.checkCapacity(second));
      expect(refused.status).toBe(507);
      expect(refused.message).toMatch(/limit reached/);
      expect(refused.reason).toBe(`limit:${limit}`);
      await expect(driver.count(second)).rejects.toMatchObject({ status: 502 });
      await driver.erase(first);
      await expect(driver.checkCapacity(second)).resolves.toBeUndefined();
    }
  });
});

describe('values PostgreSQL cannot hold', () => {
  it('refuses a batch with a NUL character in metadata with 422 and writes none of it', async () => {
    const scope = await tenant('partition_key', { dimension: 2, metric: 'cosine' });
    const refused = await failure(
      driver.upsert(scope, [
        { id: 'fine', values: Float32Array.of(1, 0) },
        { id: 'nul', values: Float32Array.of(0, 1), metadata: { note: 'a\u0000b' } },
      ]),
    );
    expect(refused.status).toBe(422);
    expect(refused.message).toMatch(/cannot store a NUL character/);
    expect(refused.field).toBe('vectors[1].metadata.note');
    // The same for a key, and for a lone surrogate deep in an array.
    for (const [metadata, field] of [
      [{ ['k\u0000']: 1 }, 'vectors[0].metadata.k\u0000'],
      [{ list: [{ deep: ['ok', 'lone\ud800'] }] }, 'vectors[0].metadata.list[0].deep[1]'],
    ] as [Metadata, string][]) {
      const again = await failure(
        driver.upsert(scope, [{ id: 'x', values: Float32Array.of(1, 0), metadata }]),
      );
      expect(again).toMatchObject({ status: 422, field });
    }
    expect(await driver.count(scope)).toBe(0);
    // Reads and filters naming such text match nothing instead of failing.
    expect(await driver.fetch(scope, ['x\u0000'], ALL)).toEqual([]);
    const hits = await driver.search(scope, {
      vector: Float32Array.of(1, 0),
      topK: 5,
      filter: { op: '$eq', field: 'note\u0000', value: 'a\u0000b' },
      ...NONE,
    });
    expect(hits).toEqual([]);
    await driver.erase(scope);
  });
});

describe('deadlines', () => {
  it('a call whose signal has aborted answers 504 and writes nothing', async () => {
    const scope = await tenant('partition_key', { dimension: 2, metric: 'cosine' });
    const signal = AbortSignal.abort();
    const refused = await failure(
      driver.upsert(scope, [{ id: 'late', values: Float32Array.of(1, 0) }], { signal }),
    );
    expect(refused).toMatchObject({ status: 504, reason: 'deadline_exceeded' });
    await expect(
      driver.search(scope, { vector: Float32Array.of(1, 0), topK: 1, ...NONE }, { signal }),
    ).rejects.toMatchObject({ status: 504 });
    expect(await driver.count(scope)).toBe(0);
    await driver.upsert(scope, [{ id: 'on-time', values: Float32Array.of(1, 0) }], {
      signal: new AbortController().signal,
    });
    expect(await driver.count(scope)).toBe(1);
    await driver.erase(scope);
  });
});

describe('scores, in vecgate’s sense for every metric', () => {
  const query = Float32Array.of(1, 2, 2);
  const stored = Float32Array.of(2, 0, 1);
  const dot = 1 * 2 + 2 * 0 + 2 * 1;
  const expected: Record<MetricName, number> = {
    cosine: dot / (3 * Math.sqrt(5)),
    dot,
    euclidean: -Math.sqrt(1 + 4 + 1),
  };

  it.each(['cosine', 'dot', 'euclidean'] as const)('%s: higher is more similar', async (metric) => {
    const scope = await tenant('partition_key', { dimension: 3, metric });
    await driver.upsert(scope, [
      { id: 's', values: stored },
      { id: 'same', values: query },
    ]);
    const hits = await driver.search(scope, { vector: query, topK: 2, ...NONE });
    expect(hits.map((h) => h.id)).toEqual(['same', 's']);
    expect(hits[1]!.score).toBeCloseTo(expected[metric], 5);
    await driver.erase(scope);
  });
});

describe('topK under filters', () => {
  it('returns topK matches when that many match, however selective the filter', async () => {
    const space = { dimension: 8, metric: 'cosine' } as const;
    const next = rng(14);
    const vector = () => Float32Array.from({ length: 8 }, () => next() * 2 - 1);
    const [a, b] = [await tenant('partition_key', space), await tenant('partition_key', space)];
    for (const [scope, rare] of [
      [a, 7],
      [b, 50],
    ] as const) {
      const rows = Array.from({ length: 400 }, (_, i) => ({
        id: `r${i}`,
        values: vector(),
        metadata: { rare: i % Math.floor(400 / rare) === 0 && i / Math.floor(400 / rare) < rare },
      }));
      await driver.upsert(scope, rows);
    }
    const probe = vector();
    const filter: FilterNode = { op: '$eq', field: 'rare', value: true };
    const five = await driver.search(a, { vector: probe, topK: 5, filter, ...ALL });
    expect(five).toHaveLength(5);
    for (const hit of five) expect(hit.metadata).toEqual({ rare: true });
    const all = await driver.search(a, { vector: probe, topK: 50, filter, ...NONE });
    expect(all).toHaveLength(7);
    for (const hit of all) expect(hit.tenantUid).toBe(a.tenantUid);
    const unfiltered = await driver.search(a, { vector: probe, topK: 100, ...NONE });
    expect(unfiltered).toHaveLength(100);
    await driver.erase(a);
    await driver.erase(b);
  });
});

describe('filter semantics equal the embedded backend’s', () => {
  const space = { dimension: 2, metric: 'dot' } as const;
  const storable = Object.entries(RECORDS).filter(
    ([, metadata]) => !JSON.stringify(metadata ?? {}).includes('\\u0000'),
  );
  const fields = [...FIELDS, 'nul\u0000', '_vg_tenant', `' OR 1=1 --`, 'lone\ud800'];
  const values = [...VALUES, 'lone\ud800'];
  let a: TenantScope;

  beforeAll(async () => {
    // Two tenants in one shared table with the same ids and metadata: a leak would show.
    a = await tenant('partition_key', space);
    const b = await tenant('partition_key', space);
    for (const scope of [a, b]) {
      await driver.upsert(
        scope,
        storable.map(([label, metadata]) => ({
          id: label,
          values: Float32Array.of(1, 1),
          ...(metadata ? { metadata } : {}),
        })),
      );
    }
  });

  function expected(filter: FilterNode): string[] {
    const test = compileRowFilter(filter);
    return storable
      .filter(([, metadata]) => test(metadata))
      .map(([label]) => label)
      .sort();
  }

  async function viaPostgres(filter: FilterNode): Promise<string[]> {
    const hits = await driver.search(a, {
      vector: Float32Array.of(1, 1),
      topK: 1000,
      filter,
      ...NONE,
    });
    for (const hit of hits) expect(hit.tenantUid).toBe(a.tenantUid);
    return hits.map((h) => h.id).sort();
  }

  it('every single comparison on every field shape matches the same records', async () => {
    const mismatches: string[] = [];
    for (const field of fields) {
      for (const op of [...COMPARISONS, '$in', '$nin'] as const) {
        for (const value of values) {
          if (['$gt', '$gte', '$lt', '$lte'].includes(op) && typeof value !== 'number') continue;
          const filter: FilterNode =
            op === '$in' || op === '$nin' ? { op, field, values: [value] } : { op, field, value };
          const [want, got] = [expected(filter), await viaPostgres(filter)];
          if (JSON.stringify(want) !== JSON.stringify(got)) {
            mismatches.push(`${JSON.stringify(filter)}: want ${want.join()} got ${got.join()}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('$exists and dotted fields (literal key first, else nested path) match the same records', async () => {
    const mismatches: string[] = [];
    for (const filter of EXISTENCE) {
      const [want, got] = [expected(filter), await viaPostgres(filter)];
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        mismatches.push(`${JSON.stringify(filter)}: want ${want.join()} got ${got.join()}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(await viaPostgres({ op: '$eq', field: 'loc.lines.from', value: '5' })).toEqual(['both']);
    expect(await viaPostgres({ op: '$eq', field: 'loc.lines.from', value: 5 })).toEqual(
      ['dotted', 'halfDotted', 'nested'].sort(),
    );
    expect(await viaPostgres({ op: '$exists', field: 'metadata.source', value: true })).toEqual([
      'payload',
    ]);
  });

  it('300 random nested filters match the same records', async () => {
    const next = rng(20261202);
    const mismatches: string[] = [];
    for (let i = 0; i < 300; i++) {
      const filter = tree(next, 4);
      const [want, got] = [expected(filter), await viaPostgres(filter)];
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        mismatches.push(`${JSON.stringify(filter)}: want ${want.join()} got ${got.join()}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('treats text PostgreSQL cannot hold as matching nothing', () => {
    expect(unstorable('a\u0000b')).toBe(true);
    expect(unstorable('lone\ud800')).toBe(true);
    expect(unstorable('𝕋énant 🦄')).toBe(false);
  });
});

describe('listing', () => {
  it('examines at most LIST_SCAN_ROWS rows per page under a selective filter, and the walk finds every match', async () => {
    const scope = await tenant('partition_key', { dimension: 2, metric: 'euclidean' });
    const total = LIST_SCAN_ROWS * 2 + 500;
    const idOf = (i: number): string => `e${String(i).padStart(5, '0')}`;
    const rare = [3, LIST_SCAN_ROWS * 2 + 100];
    for (let at = 0; at < total; at += 500) {
      await driver.upsert(
        scope,
        Array.from({ length: Math.min(500, total - at) }, (_, k) => ({
          id: idOf(at + k),
          values: Float32Array.of(at + k, 1),
          metadata: { tag: rare.includes(at + k) ? 'rare' : 'common' },
        })),
      );
    }
    const filter: FilterNode = { op: '$eq', field: 'tag', value: 'rare' };
    const pages = [];
    let cursor: string | undefined;
    do {
      const page = await driver.list(scope, { limit: 10, filter, cursor, ...ALL });
      pages.push(page);
      cursor = page.next;
    } while (cursor !== undefined && pages.length < 100);
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(rare.map(idOf));
    expect(pages.map((p) => p.records.length)).toEqual([1, 0, 1]);
    expect(pages[0]!.records[0]).toMatchObject({ metadata: { tag: 'rare' } });
    expect(Array.from(pages[0]!.records[0]!.values!)).toEqual([3, 1]);
    await driver.erase(scope);
  });
});

describe('the statements the data plane sends', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each(['collection', 'partition', 'partition_key'] as const)(
    '%s: every statement on the records carries the tenant uid and the namespace as bound parameters',
    async (strategy) => {
      const { tenantId, tenantUid, placement, space } = await tenant(strategy, {
        dimension: 2,
        metric: 'dot',
      });
      const scope = makeTenantScope({ tenantId, tenantUid, placement, space, namespace: 'n.s-1' });
      const table = placement.location.table!;
      const sent = jest.spyOn(Client.prototype, 'query');
      await driver.upsert(scope, [{ id: 'a', values: Float32Array.of(1, 0), metadata: { k: 1 } }]);
      await driver.fetch(scope, ['a'], ALL);
      const filter: FilterNode = { op: '$or', nodes: [{ op: '$eq', field: 'k', value: 1 }] };
      await driver.search(scope, { vector: Float32Array.of(1, 0), topK: 1, filter, ...NONE });
      await driver.count(scope);
      await driver.list(scope, { limit: 5, prefix: 'a', filter, ...ALL });
      await driver.delete(scope, { kind: 'ids', ids: ['zz'] });
      await driver.delete(scope, { kind: 'filter', filter });
      await driver.delete(scope, { kind: 'all' });
      const statements = (sent.mock.calls as unknown as [string, unknown[]?][]).filter(
        ([text]) => typeof text === 'string' && text.includes(` ${table}`),
      );
      expect(statements.map(([text]) => /^\s*(\w+)/.exec(text)![1])).toEqual([
        'INSERT',
        'SELECT',
        'SELECT',
        'SELECT',
        'SELECT',
        'DELETE',
        'DELETE',
        'DELETE',
      ]);
      for (const [text, values] of statements) {
        expect(values?.slice(0, 2)).toEqual([tenantUid, 'n.s-1']);
        // The namespace is a bound parameter, never spliced into the statement.
        expect(text).not.toContain('n.s-1');
        if (text.startsWith('INSERT')) {
          expect(text).toMatch(/VALUES \(\$1, \$2, \$3,/);
          expect(text).toContain('ON CONFLICT (_vg_tenant, namespace, id)');
        } else {
          expect(text).toMatch(/WHERE _vg_tenant = \$1 AND namespace = \$2( AND|$| ORDER| LIMIT)/);
        }
      }
      await driver.erase(scope);
    },
  );
});
