import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  makeTenantScope,
  Metadata,
  MetricName,
  ScoredRecord,
  StrategyName,
  TenantScope,
  VectorSpace,
  VectorWrite,
} from '../../ports/vector.types';
import { EmbeddedBackend } from './embedded.backend';
import { EmbeddedOptions } from './embedded.options';
import { rng } from '../../../../../test/support/rng';
import { peek } from '../../../../../test/support/sqlite-peek';

/**
 * The message of a rejection. better-sqlite3's errors come from another realm once a second
 * test file loads the addon in the same worker, where `rejects.toThrow()` cannot see them.
 */
async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const message = (err as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message : String(err);
  }
  throw new Error('expected the call to reject, but it resolved');
}

const STRATEGIES = ['database', 'collection', 'partition_key'] as const;
const METRICS: readonly MetricName[] = ['cosine', 'euclidean', 'dot'];
const ALL = { includeValues: true, includeMetadata: true } as const;
const NONE = { includeValues: false, includeMetadata: false } as const;

function vector(next: () => number, dimension: number): Float32Array {
  return Float32Array.from({ length: dimension }, () => next() * 2 - 1);
}

function records(
  seed: number,
  count: number,
  dimension: number,
  metadata: (i: number) => Metadata | undefined = (i) => ({
    i,
    parity: i % 2 === 0 ? 'even' : 'odd',
  }),
  prefix = 'r',
): VectorWrite[] {
  const next = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const md = metadata(i);
    return {
      id: `${prefix}${i}`,
      values: vector(next, dimension),
      ...(md ? { metadata: md } : {}),
    };
  });
}

/** The score the design promises: higher is more similar, computed in double precision. */
function score(metric: MetricName, a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
    sq += (x - y) * (x - y);
  }
  switch (metric) {
    case 'cosine':
      return dot / (Math.sqrt(na) * Math.sqrt(nb));
    case 'euclidean':
      return -Math.sqrt(sq);
    case 'dot':
      return dot;
  }
}

function bruteForce(
  metric: MetricName,
  query: Float32Array,
  rows: readonly VectorWrite[],
  k: number,
): { id: string; score: number }[] {
  return rows
    .map((r) => ({ id: r.id, score: score(metric, query, r.values) }))
    .sort((x, y) => y.score - x.score)
    .slice(0, k);
}

function expectSameRanking(
  found: readonly ScoredRecord[],
  expected: readonly { id: string; score: number }[],
): void {
  expect(found.map((m) => m.id)).toEqual(expected.map((e) => e.id));
  found.forEach((m, i) => {
    const want = expected[i]!.score;
    expect(Math.abs(m.score - want)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want)));
  });
  for (let i = 1; i < found.length; i++) {
    expect(found[i - 1]!.score).toBeGreaterThanOrEqual(found[i]!.score);
  }
}

/**
 * The backend's methods may throw before they return a promise; callers `await` them, so a
 * synchronous throw and a rejection are the same outcome here.
 */
function attempt<T>(call: () => Promise<T>): Promise<T> {
  return Promise.resolve().then(call);
}

function newUid(): string {
  return randomBytes(16).toString('hex');
}

describe('EmbeddedBackend', () => {
  let dir: string;
  let backend: EmbeddedBackend;
  const extraBackends: EmbeddedBackend[] = [];

  function open(options: Partial<EmbeddedOptions> = {}): EmbeddedBackend {
    const b = new EmbeddedBackend({
      directory: join(dir, `b${extraBackends.length}`),
      cacheMb: 64,
      maxOpenFiles: 16,
      ...options,
    });
    extraBackends.push(b);
    return b;
  }

  async function tenant(
    on: EmbeddedBackend,
    strategy: StrategyName,
    space: VectorSpace,
    tenantUid = newUid(),
  ): Promise<TenantScope> {
    const tenantId = `t-${tenantUid.slice(0, 8)}`;
    const placement = on.plan({ tenantId, tenantUid, strategy, space });
    const scope = makeTenantScope({ tenantId, tenantUid, placement, space });
    await on.provision(scope);
    return scope;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-embedded-'));
    extraBackends.length = 0;
    backend = open();
  });

  afterEach(async () => {
    for (const b of extraBackends) await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('plan', () => {
    it('refuses a tenant uid that is not 32 hex characters', () => {
      for (const tenantUid of ['', 'abc', '../../etc/passwd', 'G'.repeat(32), 'A'.repeat(32)]) {
        expect(() =>
          backend.plan({
            tenantId: 'acme',
            tenantUid,
            strategy: 'database',
            space: { dimension: 4, metric: 'cosine' },
          }),
        ).toThrow(/32 hex/);
      }
    });

    it.each(['partition', 'namespace', 'dedicated_index'] as const)(
      'refuses the %s strategy, which the embedded backend does not have',
      (strategy) => {
        expect(backend.supports(strategy)).toBe(false);
        expect(() =>
          backend.plan({
            tenantId: 'acme',
            tenantUid: newUid(),
            strategy,
            space: { dimension: 4, metric: 'cosine' },
          }),
        ).toThrow(strategy);
      },
    );

    it('names a file per tenant, a table per tenant, or a shared table per vector space', () => {
      const uid = newUid();
      const space = { dimension: 12, metric: 'dot' } as const;
      const plan = (strategy: StrategyName) =>
        backend.plan({ tenantId: 'acme', tenantUid: uid, strategy, space }).location;
      expect(plan('database')).toEqual({ file: `tenants/${uid}.db`, table: 'vectors' });
      expect(plan('collection')).toEqual({ file: 'embedded.db', table: `vg_t_${uid}` });
      expect(plan('partition_key')).toEqual({ file: 'embedded.db', table: 'vg_shared_12_dot' });
    });
  });

  describe.each(STRATEGIES)('strategy %s', (strategy) => {
    const space: VectorSpace = { dimension: 8, metric: 'cosine' };

    it('stores records and reads back their values, metadata and stored tenant uid', async () => {
      const a = await tenant(backend, strategy, space);
      const rows = records(1, 5, 8);
      await expect(backend.upsert(a, rows)).resolves.toEqual({ upserted: 5 });
      expect(await backend.count(a)).toBe(5);
      const got = await backend.fetch(a, ['r3', 'r0'], ALL);
      const byId = new Map(got.map((r) => [r.id, r]));
      expect([...byId.keys()].sort()).toEqual(['r0', 'r3']);
      for (const id of ['r0', 'r3']) {
        const want = rows.find((r) => r.id === id)!;
        const record = byId.get(id)!;
        expect(record.tenantUid).toBe(a.tenantUid);
        expect(Array.from(record.values!)).toEqual(Array.from(want.values));
        expect(record.metadata).toEqual(want.metadata);
      }
    });

    it('fetch returns only existing requested ids and leaves out what was not asked for', async () => {
      const a = await tenant(backend, strategy, space);
      await backend.upsert(a, [
        ...records(2, 2, 8),
        { id: 'bare', values: new Float32Array(8).fill(0.5) },
      ]);
      expect(await backend.fetch(a, [], ALL)).toEqual([]);
      expect(await backend.fetch(a, ['nope'], ALL)).toEqual([]);
      const plain = await backend.fetch(a, ['r1', 'missing'], NONE);
      expect(plain).toEqual([{ id: 'r1', tenantUid: a.tenantUid, namespace: '' }]);
      const bare = await backend.fetch(a, ['bare'], ALL);
      expect(bare).toHaveLength(1);
      expect(bare[0]!.metadata).toEqual({});
      expect(Array.from(bare[0]!.values!)).toEqual(new Array(8).fill(0.5));
    });

    it('upsert replaces a record with the same id and keeps the count', async () => {
      const a = await tenant(backend, strategy, space);
      await backend.upsert(a, records(3, 3, 8));
      // Load the search matrix, so the replacement must reach it too.
      await backend.search(a, { vector: new Float32Array(8).fill(1), topK: 3, ...NONE });
      const replacement = { id: 'r1', values: new Float32Array(8).fill(1), metadata: { v: 2 } };
      await backend.upsert(a, [replacement]);
      expect(await backend.count(a)).toBe(3);
      const [r1] = await backend.fetch(a, ['r1'], ALL);
      expect(r1!.metadata).toEqual({ v: 2 });
      expect(Array.from(r1!.values!)).toEqual(new Array(8).fill(1));
      const [top] = await backend.search(a, {
        vector: new Float32Array(8).fill(1),
        topK: 1,
        includeValues: true,
        includeMetadata: true,
      });
      expect(top!.id).toBe('r1');
      expect(top!.score).toBeCloseTo(1, 5);
      expect(top!.metadata).toEqual({ v: 2 });
    });

    it('a batch is idempotent: repeating it leaves the same count and contents', async () => {
      const a = await tenant(backend, strategy, space);
      const batch = records(4, 50, 8);
      await expect(backend.upsert(a, batch)).resolves.toEqual({ upserted: 50 });
      expect(await backend.count(a)).toBe(50);
      await expect(backend.upsert(a, batch)).resolves.toEqual({ upserted: 50 });
      expect(await backend.count(a)).toBe(50);
      const all = await backend.fetch(
        a,
        batch.map((r) => r.id),
        ALL,
      );
      expect(all).toHaveLength(50);
      for (const record of all) {
        const want = batch.find((r) => r.id === record.id)!;
        expect(Array.from(record.values!)).toEqual(Array.from(want.values));
      }
    });

    it('a batch that fails part-way writes none of its records', async () => {
      const a = await tenant(backend, strategy, space);
      await backend.upsert(a, records(5, 2, 8, undefined, 'old'));
      await backend.search(a, { vector: new Float32Array(8).fill(1), topK: 10, ...NONE });
      const batch: VectorWrite[] = [
        ...records(6, 3, 8, undefined, 'new'),
        // A NULL id breaks the NOT NULL constraint inside the transaction, after three rows.
        { id: null as unknown as string, values: new Float32Array(8) },
      ];
      expect(await rejectionOf(attempt(() => backend.upsert(a, batch)))).toMatch(
        /refused a value \(upsert: SQLITE_CONSTRAINT_NOTNULL\)/,
      );
      expect(await backend.count(a)).toBe(2);
      expect(await backend.fetch(a, ['new0', 'new1', 'new2'], NONE)).toEqual([]);
      const hits = await backend.search(a, {
        vector: new Float32Array(8).fill(1),
        topK: 10,
        ...NONE,
      });
      expect(hits.map((h) => h.id).sort()).toEqual(['old0', 'old1']);
    });

    /** A tenant of ten records whose matrix is loaded, so deletes must reach it too. */
    async function loaded(seed: number, queryRow: number) {
      const a = await tenant(backend, strategy, space);
      const rows = records(seed, 10, 8);
      await backend.upsert(a, rows);
      const query = rows[queryRow]!.values;
      await backend.search(a, { vector: query, topK: 10, ...NONE });
      return { a, rows, query };
    }

    it('deletes by ids only the ids that exist, and search no longer finds them', async () => {
      const { a, rows, query } = await loaded(7, 2);
      await expect(
        backend.delete(a, { kind: 'ids', ids: ['r2', 'r5', 'absent'] }),
      ).resolves.toEqual({ deleted: 2 });
      expect(await backend.count(a)).toBe(8);
      expect(await backend.fetch(a, ['r2', 'r5'], NONE)).toEqual([]);
      const hits = await backend.search(a, { vector: query, topK: 10, ...NONE });
      const remaining = rows.filter((r) => r.id !== 'r2' && r.id !== 'r5');
      expectSameRanking(hits, bruteForce('cosine', query, remaining, 10));
    });

    it('deletes by filter only the matching records', async () => {
      const { a, query } = await loaded(8, 0);
      await expect(
        backend.delete(a, {
          kind: 'filter',
          filter: { op: '$eq', field: 'parity', value: 'even' },
        }),
      ).resolves.toEqual({ deleted: 5 });
      expect(await backend.count(a)).toBe(5);
      const hits = await backend.search(a, { vector: query, topK: 10, ...ALL });
      expect(hits.map((h) => h.id).sort()).toEqual(['r1', 'r3', 'r5', 'r7', 'r9']);
      for (const hit of hits) expect(hit.metadata!.parity).toBe('odd');
      await expect(
        backend.delete(a, { kind: 'filter', filter: { op: '$gt', field: 'i', value: 100 } }),
      ).resolves.toEqual({ deleted: 0 });
      expect(await backend.count(a)).toBe(5);
    });

    it("deletes all of the tenant's records", async () => {
      const a = await tenant(backend, strategy, space);
      await backend.upsert(a, records(9, 12, 8));
      await backend.search(a, { vector: new Float32Array(8).fill(1), topK: 3, ...NONE });
      await expect(backend.delete(a, { kind: 'all' })).resolves.toEqual({ deleted: 12 });
      expect(await backend.count(a)).toBe(0);
      expect(
        await backend.search(a, { vector: new Float32Array(8).fill(1), topK: 3, ...NONE }),
      ).toEqual([]);
      await backend.upsert(a, records(10, 1, 8));
      expect(await backend.count(a)).toBe(1);
    });

    it("never shows or overwrites another tenant's records with identical ids", async () => {
      const a = await tenant(backend, strategy, space);
      const b = await tenant(backend, strategy, space);
      if (strategy === 'partition_key') expect(a.placement.location).toEqual(b.placement.location);
      const rowsA = records(11, 6, 8, (i) => ({ owner: 'a', i }));
      const rowsB = records(12, 6, 8, (i) => ({ owner: 'b', i }));
      await backend.upsert(a, rowsA);
      await backend.upsert(b, rowsB);
      expect(await backend.count(a)).toBe(6);
      expect(await backend.count(b)).toBe(6);
      const ids = rowsA.map((r) => r.id);
      for (const [scope, rows, owner] of [
        [a, rowsA, 'a'],
        [b, rowsB, 'b'],
      ] as const) {
        const fetched = await backend.fetch(scope, ids, ALL);
        expect(fetched).toHaveLength(6);
        for (const record of fetched) {
          expect(record.tenantUid).toBe(scope.tenantUid);
          expect(record.metadata!.owner).toBe(owner);
          const want = rows.find((r) => r.id === record.id)!;
          expect(Array.from(record.values!)).toEqual(Array.from(want.values));
        }
        const hits = await backend.search(scope, { vector: rowsB[0]!.values, topK: 100, ...ALL });
        expect(hits).toHaveLength(6);
        for (const hit of hits) {
          expect(hit.tenantUid).toBe(scope.tenantUid);
          expect(hit.metadata!.owner).toBe(owner);
        }
        expectSameRanking(hits, bruteForce('cosine', rowsB[0]!.values, rows, 100));
      }
      await backend.delete(a, { kind: 'ids', ids: ['r0'] });
      await backend.delete(a, { kind: 'filter', filter: { op: '$eq', field: 'i', value: 1 } });
      expect(await backend.count(a)).toBe(4);
      expect(await backend.count(b)).toBe(6);
      await backend.delete(a, { kind: 'all' });
      expect(await backend.count(b)).toBe(6);
      expect((await backend.fetch(b, ids, NONE)).map((r) => r.id).sort()).toEqual([...ids].sort());
    });

    if (strategy !== 'partition_key') {
      it("refuses a scope that carries another tenant's placement", async () => {
        const a = await tenant(backend, strategy, space);
        await backend.upsert(a, records(13, 3, 8));
        const forged = makeTenantScope({
          tenantId: 'mallory',
          tenantUid: newUid(),
          placement: a.placement,
          space,
        });
        const calls: (() => Promise<unknown>)[] = [
          () => backend.fetch(forged, ['r0'], ALL),
          () => backend.count(forged),
          () => backend.search(forged, { vector: new Float32Array(8), topK: 3, ...ALL }),
          () => backend.upsert(forged, records(14, 1, 8)),
          () => backend.delete(forged, { kind: 'all' }),
          () => backend.erase(forged),
        ];
        for (const call of calls) await expect(attempt(call)).rejects.toThrow(/does not match/);
        expect(await backend.count(a)).toBe(3);
      });
    }

    describe.each(METRICS)('search with the %s metric', (metric) => {
      const metricSpace: VectorSpace = { dimension: 16, metric };

      it('returns exactly the brute-force top-k, scored higher-is-closer and sorted descending', async () => {
        const a = await tenant(backend, strategy, metricSpace);
        const rows = records(100 + METRICS.indexOf(metric), 60, 16);
        await backend.upsert(a, rows);
        const next = rng(200);
        for (let q = 0; q < 3; q++) {
          const query = vector(next, 16);
          const hits = await backend.search(a, { vector: query, topK: 7, ...NONE });
          expect(hits).toHaveLength(7);
          expectSameRanking(hits, bruteForce(metric, query, rows, 7));
          for (const hit of hits) expect(hit.tenantUid).toBe(a.tenantUid);
        }
      });

      it('scores only the rows a filter matches', async () => {
        const a = await tenant(backend, strategy, metricSpace);
        const rows = records(300, 60, 16, (i) => ({ i, band: i % 3 }));
        await backend.upsert(a, rows);
        const query = vector(rng(301), 16);
        const band1 = rows.filter((r) => r.metadata!.band === 1);
        const hits = await backend.search(a, {
          vector: query,
          topK: 5,
          filter: { op: '$eq', field: 'band', value: 1 },
          ...ALL,
        });
        expectSameRanking(hits, bruteForce(metric, query, band1, 5));
        for (const hit of hits) expect(hit.metadata!.band).toBe(1);
        const all = await backend.search(a, {
          vector: query,
          topK: 1000,
          filter: { op: '$in', field: 'band', values: [0, 2] },
          ...NONE,
        });
        expect(all).toHaveLength(40);
        expectSameRanking(
          all,
          bruteForce(
            metric,
            query,
            rows.filter((r) => r.metadata!.band !== 1),
            1000,
          ),
        );
        const none = await backend.search(a, {
          vector: query,
          topK: 5,
          filter: { op: '$eq', field: 'band', value: 'nope' },
          ...NONE,
        });
        expect(none).toEqual([]);
      });
    });

    it('returns every record once when topK exceeds the count, and nothing for an empty tenant', async () => {
      const a = await tenant(backend, strategy, space);
      expect(await backend.search(a, { vector: new Float32Array(8), topK: 10, ...NONE })).toEqual(
        [],
      );
      const rows = records(14, 4, 8);
      await backend.upsert(a, rows);
      const hits = await backend.search(a, { vector: rows[0]!.values, topK: 1000, ...NONE });
      expect(hits.map((h) => h.id).sort()).toEqual(['r0', 'r1', 'r2', 'r3']);
      expect(hits[0]!.id).toBe('r0');
    });

    it('includes values and metadata in search results only when asked', async () => {
      const a = await tenant(backend, strategy, space);
      const rows = records(15, 3, 8);
      await backend.upsert(a, rows);
      const plain = await backend.search(a, { vector: rows[1]!.values, topK: 1, ...NONE });
      expect(Object.keys(plain[0]!).sort()).toEqual(['id', 'namespace', 'score', 'tenantUid']);
      const full = await backend.search(a, { vector: rows[1]!.values, topK: 1, ...ALL });
      expect(full[0]!.id).toBe('r1');
      expect(full[0]!.metadata).toEqual(rows[1]!.metadata);
      expect(Array.from(full[0]!.values!)).toEqual(Array.from(rows[1]!.values));
    });

    it('erase removes everything, reports 0 remaining and drops the cached matrix', async () => {
      const a = await tenant(backend, strategy, space);
      const b = await tenant(backend, strategy, space);
      const marker = `MARKER${randomBytes(8).toString('hex')}`;
      const keep = `KEEP${randomBytes(8).toString('hex')}`;
      await backend.upsert(
        a,
        records(16, 20, 8, () => ({ secret: marker }), marker),
      );
      await backend.upsert(
        b,
        records(17, 20, 8, () => ({ secret: keep }), keep),
      );
      await backend.search(a, { vector: new Float32Array(8).fill(1), topK: 1, ...NONE });
      expect(await backend.isCached(a.tenantUid)).toBe(true);

      const report = await backend.erase(a);
      expect(report.places.length).toBeGreaterThan(0);
      for (const place of report.places) expect(place.remaining).toBe(0);
      expect(await backend.isCached(a.tenantUid)).toBe(false);

      const root = join(dir, 'b0');
      const shared = join(root, 'embedded.db');
      if (strategy === 'database') {
        const file = join(root, 'tenants', `${a.tenantUid}.db`);
        for (const suffix of ['', '-wal', '-shm', '-journal'])
          expect(existsSync(file + suffix)).toBe(false);
        // A late call fails closed and never re-creates the erased file.
        await rejectionOf(attempt(() => backend.count(a)));
        await rejectionOf(attempt(() => backend.fetch(a, ['r0'], ALL)));
        await rejectionOf(attempt(() => backend.upsert(a, records(19, 1, 8))));
        expect(existsSync(file)).toBe(false);
      } else {
        const check = new Database(shared, { readonly: true, fileMustExist: true });
        try {
          const tables = check
            .prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`)
            .pluck()
            .all() as string[];
          if (strategy === 'collection') {
            expect(tables).not.toContain(a.placement.location.table);
            expect(tables).toContain(b.placement.location.table);
          } else {
            const n = check
              .prepare(`SELECT count(*) FROM "${a.placement.location.table}" WHERE tenant_uid = ?`)
              .pluck()
              .get(a.tenantUid);
            expect(n).toBe(0);
          }
        } finally {
          check.close();
        }
        if (strategy === 'collection') await rejectionOf(attempt(() => backend.count(a)));
        else expect(await backend.count(a)).toBe(0);
      }
      // No byte of the erased tenant's ids or metadata is left in the shared file or its WAL.
      for (const file of [shared, `${shared}-wal`]) {
        if (!existsSync(file)) continue;
        const bytes = readFileSync(file);
        expect(bytes.includes(marker)).toBe(false);
        if (strategy !== 'database' && file === shared) expect(bytes.includes(keep)).toBe(true);
      }
      expect(await backend.count(b)).toBe(20);
      const hits = await backend.search(b, {
        vector: new Float32Array(8).fill(1),
        topK: 50,
        ...ALL,
      });
      expect(hits).toHaveLength(20);
      for (const hit of hits) expect(hit.metadata).toEqual({ secret: keep });
    });

    it('erase is idempotent', async () => {
      const a = await tenant(backend, strategy, space);
      await backend.upsert(a, records(18, 3, 8));
      await backend.erase(a);
      const again = await backend.erase(a);
      for (const place of again.places) expect(place.remaining).toBe(0);
    });
  });

  describe('large answers', () => {
    // About 2.3 KB of metadata JSON per record: 200 records pass METADATA_TEXT_CHARS, which
    // sends the answer's metadata as text, parsed on the main thread a slice at a time.
    const big = (i: number): Metadata => ({
      i,
      flag: i % 3 === 0,
      text: `é "quoted" \\ ${'x'.repeat(2000)} 🙂 ${i}`,
      tags: ['a', 'b', String(i)],
      nested: { depth: { n: -(i + 1) / 7, none: null } },
    });

    it.each(['database', 'partition_key'] as const)(
      'answers search, fetch and list with the metadata as written (%s)',
      async (strategy) => {
        const space: VectorSpace = { dimension: 8, metric: 'cosine' };
        const scope = await tenant(backend, strategy, space);
        const rows = records(9001, 300, 8, big);
        await backend.upsert(scope, rows);
        const written = new Map(rows.map((r) => [r.id, r.metadata]));
        const found = await backend.search(scope, {
          vector: rows[0]!.values,
          topK: 250,
          includeMetadata: true,
          includeValues: false,
        });
        expect(found).toHaveLength(250);
        for (const m of found) expect(m.metadata).toEqual(written.get(m.id));
        expect(found.some((m) => 'metadataText' in m)).toBe(false);
        const ids = rows.slice(0, 250).map((r) => r.id);
        const fetched = await backend.fetch(scope, ids, ALL);
        expect(fetched).toHaveLength(250);
        for (const r of fetched) {
          expect(r.metadata).toEqual(written.get(r.id));
          expect(Array.from(r.values ?? [])).toEqual(
            Array.from(rows[Number(r.id.slice(1))]!.values),
          );
        }
        const page = await backend.list(scope, {
          limit: 300,
          includeMetadata: true,
          includeValues: false,
        });
        expect(page.records).toHaveLength(300);
        for (const r of page.records) expect(r.metadata).toEqual(written.get(r.id));
        // Small answers of the same tenant are unchanged.
        const one = await backend.fetch(scope, ['r7'], ALL);
        expect(one[0]?.metadata).toEqual(big(7));
      },
    );
  });

  describe('resources', () => {
    it('keeps at most maxOpenFiles tenant files open while every tenant keeps working', async () => {
      const small = open({ maxOpenFiles: 3 });
      const space: VectorSpace = { dimension: 4, metric: 'euclidean' };
      const tenants: { scope: TenantScope; rows: VectorWrite[] }[] = [];
      let peak = 0;
      const observe = async () => {
        peak = Math.max(peak, await small.openTenantFiles());
      };
      for (let t = 0; t < 10; t++) {
        const scope = await tenant(small, 'database', space);
        await observe();
        const rows = records(400 + t, 5, 4, (i) => ({ t, i }));
        await expect(small.upsert(scope, rows)).resolves.toEqual({ upserted: 5 });
        await observe();
        tenants.push({ scope, rows });
      }
      for (let round = 0; round < 2; round++) {
        for (const entry of tenants) {
          const { scope, rows } = entry;
          const hits = await small.search(scope, { vector: rows[0]!.values, topK: 5, ...ALL });
          await observe();
          expectSameRanking(hits, bruteForce('euclidean', rows[0]!.values, rows, 5));
          for (const hit of hits) expect(hit.tenantUid).toBe(scope.tenantUid);
          expect(await small.count(scope)).toBe(rows.length);
          await observe();
          const gone = `r${4 - round}`;
          await expect(small.delete(scope, { kind: 'ids', ids: [gone] })).resolves.toEqual({
            deleted: 1,
          });
          await observe();
          entry.rows = rows.filter((r) => r.id !== gone);
        }
      }
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(3);
      for (const { scope } of tenants) expect(await small.count(scope)).toBe(3);
    });

    it('keeps the matrix cache within its memory budget and stays exact after evictions', async () => {
      const cacheMb = 0.1;
      const budget = cacheMb * 1024 * 1024;
      const small = open({ cacheMb });
      const space: VectorSpace = { dimension: 32, metric: 'cosine' };
      const tenants: { scope: TenantScope; rows: VectorWrite[] }[] = [];
      for (let t = 0; t < 20; t++) {
        const scope = await tenant(small, t % 2 ? 'partition_key' : 'collection', space);
        const rows = records(500 + t, 100, 32);
        await small.upsert(scope, rows);
        tenants.push({ scope, rows });
      }
      for (let round = 0; round < 2; round++) {
        for (const { scope, rows } of tenants) {
          const query = rows[round]!.values;
          const hits = await small.search(scope, { vector: query, topK: 5, ...NONE });
          expectSameRanking(hits, bruteForce('cosine', query, rows, 5));
          expect((await small.stats()).cacheBytes).toBeLessThanOrEqual(budget);
          expect((await small.stats()).cacheBytes).toBeGreaterThan(0);
        }
      }
      expect((await small.stats()).cachedTenants).toBeGreaterThan(0);
      expect((await small.stats()).cachedTenants).toBeLessThan(20);
      // The least recently used tenants were evicted; the most recent one is held.
      expect(await small.isCached(tenants[19]!.scope.tenantUid)).toBe(true);
      expect(await small.isCached(tenants[0]!.scope.tenantUid)).toBe(false);

      // Growing a cached matrix in place is accounted too.
      const last = tenants[19]!;
      const more = records(600, 400, 32, undefined, 'more');
      await small.upsert(last.scope, more);
      expect((await small.stats()).cacheBytes).toBeLessThanOrEqual(budget);
      const query = more[0]!.values;
      const hits = await small.search(last.scope, { vector: query, topK: 5, ...NONE });
      expectSameRanking(hits, bruteForce('cosine', query, [...last.rows, ...more], 5));
      expect((await small.stats()).cacheBytes).toBeLessThanOrEqual(budget);
    });

    it('serves a tenant larger than the whole cache budget without keeping it', async () => {
      const small = open({ cacheMb: 0.01 });
      const space: VectorSpace = { dimension: 64, metric: 'dot' };
      const a = await tenant(small, 'partition_key', space);
      const rows = records(700, 200, 64);
      await small.upsert(a, rows);
      const hits = await small.search(a, { vector: rows[3]!.values, topK: 4, ...NONE });
      expectSameRanking(hits, bruteForce('dot', rows[3]!.values, rows, 4));
      expect(await small.isCached(a.tenantUid)).toBe(false);
      expect((await small.stats()).cacheBytes).toBe(0);
    });
  });

  describe('durability', () => {
    it('stores every file in WAL mode', async () => {
      const space: VectorSpace = { dimension: 4, metric: 'cosine' };
      const a = await tenant(backend, 'database', space);
      await tenant(backend, 'partition_key', space);
      await backend.upsert(a, records(800, 2, 4));
      for (const file of [
        join(dir, 'b0', 'tenants', `${a.tenantUid}.db`),
        join(dir, 'b0', 'embedded.db'),
      ]) {
        expect(peek(file, (check) => check.pragma('journal_mode', { simple: true }))).toBe('wal');
      }
    });

    it('keeps acknowledged writes across a close and reopen of the directory', async () => {
      const space: VectorSpace = { dimension: 4, metric: 'euclidean' };
      const scopes = await Promise.all(STRATEGIES.map((s) => tenant(backend, s, space)));
      const rows = records(900, 4, 4);
      for (const scope of scopes) await backend.upsert(scope, rows);
      await backend.close();
      const reopened = new EmbeddedBackend({
        directory: join(dir, 'b0'),
        cacheMb: 8,
        maxOpenFiles: 4,
      });
      extraBackends.push(reopened);
      for (const scope of scopes) {
        expect(await reopened.count(scope)).toBe(4);
        const hits = await reopened.search(scope, { vector: rows[2]!.values, topK: 4, ...NONE });
        expectSameRanking(hits, bruteForce('euclidean', rows[2]!.values, rows, 4));
      }
    });
  });

  describe('vector spaces', () => {
    it('gives partition_key tenants of different dimensions or metrics their own shared tables', async () => {
      const a = await tenant(backend, 'partition_key', { dimension: 4, metric: 'cosine' });
      const b = await tenant(backend, 'partition_key', { dimension: 6, metric: 'cosine' });
      const c = await tenant(backend, 'partition_key', { dimension: 4, metric: 'dot' });
      expect(new Set([a, b, c].map((s) => s.placement.location.table)).size).toBe(3);
      const rowsA = records(1000, 5, 4);
      const rowsB = records(1001, 5, 6);
      const rowsC = records(1002, 5, 4);
      await backend.upsert(a, rowsA);
      await backend.upsert(b, rowsB);
      await backend.upsert(c, rowsC);
      expectSameRanking(
        await backend.search(a, { vector: rowsA[0]!.values, topK: 5, ...NONE }),
        bruteForce('cosine', rowsA[0]!.values, rowsA, 5),
      );
      expectSameRanking(
        await backend.search(b, { vector: rowsB[0]!.values, topK: 5, ...NONE }),
        bruteForce('cosine', rowsB[0]!.values, rowsB, 5),
      );
      expectSameRanking(
        await backend.search(c, { vector: rowsC[0]!.values, topK: 5, ...NONE }),
        bruteForce('dot', rowsC[0]!.values, rowsC, 5),
      );
    });
  });
});
