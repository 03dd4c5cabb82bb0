import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { embeddedSandbox, provisionedTenant } from '../../../../../test/support/embedded-sandbox';
import { rng } from '../../../../../test/support/rng';
import { scopeInNamespace } from '../../../../tenancy/src/tenancy.types';
import {
  FilterNode,
  SearchQuery,
  TenantScope,
  VectorSpace,
  VectorWrite,
} from '../../ports/vector.types';
import { EmbeddedBackend } from './embedded.backend';
import { targetOf } from './embedded.naming';

const space: VectorSpace = { dimension: 16, metric: 'cosine' };
const MIN = 100;
/** A search expansion above the row count makes the graph's answer the exact one. */
const ann = { minVectors: MIN, connectivity: 16, expansionAdd: 256, expansionSearch: 512 };
const ROWS = 300;

/** Clustered vectors, as embeddings are: 8 centres, small noise; every 50th row is `rare`. */
function clustered(seed: number, count: number, prefix = 'r'): VectorWrite[] {
  const next = rng(seed);
  const centres = Array.from({ length: 8 }, () =>
    Float32Array.from({ length: space.dimension }, () => next() * 2 - 1),
  );
  return Array.from({ length: count }, (_, i) => {
    const centre = centres[i % centres.length] as Float32Array;
    return {
      id: `${prefix}${i}`,
      values: centre.map((v) => v + (next() - 0.5) * 0.4),
      metadata: { half: i % 2 === 0, rare: i % 50 === 7, i },
    };
  });
}

function query(seed: number, extra: Partial<SearchQuery> = {}): SearchQuery {
  const next = rng(seed);
  return {
    vector: Float32Array.from({ length: space.dimension }, () => next() * 2 - 1),
    topK: 10,
    includeValues: false,
    includeMetadata: false,
    ...extra,
  };
}

async function readyGraph(backend: EmbeddedBackend, scope: TenantScope, size: number) {
  // A search loads the matrix, which starts the build in the background.
  await backend.search(scope, query(1));
  // Generous: a loaded machine (a full test run on 2 cores) builds several times slower.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await backend.annStatus(scope);
    if (status.state === 'ready' && status.size === size) return status;
    await sleep(20);
  }
  throw new Error('the graph did not become ready within 60 s');
}

const ids = (found: { id: string }[]) => found.map((r) => r.id);

describe('EmbeddedBackend approximate search (HNSW)', () => {
  const sandbox = embeddedSandbox('vg-ann-');
  let backend: EmbeddedBackend;
  let scope: TenantScope;
  /** The directory of the tenant's graphs in the place `at` is stored (its file and table). */
  const placeDir = (at: TenantScope) => {
    const { file, table } = targetOf(at);
    const place = createHash('sha256').update(`${file}\u0000${table}`).digest('hex');
    return join(sandbox.dir, 'ann', at.tenantUid, `p-${place.slice(0, 24)}`);
  };
  const graphs = (at = scope) => {
    const dir = placeDir(at);
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  };

  beforeEach(async () => {
    backend = sandbox.open({ workers: 1, ann });
    scope = await provisionedTenant(backend, 'partition_key', space);
    await backend.upsert(scope, clustered(1, ROWS));
  });

  it('stays exact below the threshold and builds no graph', async () => {
    const small = await provisionedTenant(backend, 'partition_key', space);
    await backend.upsert(small, clustered(2, MIN - 1));
    await backend.search(small, query(3));
    await sleep(50);
    expect(await backend.annStatus(small)).toEqual({ state: 'none', size: 0, saved: false });
  });

  it('answers from the graph once built, equal to the exact scan, and saves it', async () => {
    const status = await readyGraph(backend, scope, ROWS);
    expect(status.saved).toBe(true);
    expect(graphs()).toEqual([expect.stringMatching(/^ns-\.[0-9a-f]+\.usearch$/), 'ns-.json']);
    for (let q = 0; q < 20; q++) {
      const approximate = await backend.search(scope, query(100 + q));
      const exact = await backend.search(scope, query(100 + q, { exact: true }));
      expect(ids(approximate)).toEqual(ids(exact));
      expect(approximate.map((r) => r.score)).toEqual(exact.map((r) => r.score));
    }
  });

  it('reflects upserts and deletes, and removes the saved graph before replacing or deleting', async () => {
    await readyGraph(backend, scope, ROWS);
    const target = query(7).vector;
    // A new record: the saved graph stays (a restart adds rows past its mark).
    await backend.upsert(scope, [{ id: 'new', values: target }]);
    expect((await backend.annStatus(scope)).saved).toBe(true);
    expect((await backend.search(scope, query(7)))[0]).toMatchObject({ id: 'new' });
    // A replaced record: its old vector must not stay in a file.
    await backend.upsert(scope, [{ id: 'r5', values: target.map((v) => v * 2) }]);
    expect((await backend.annStatus(scope)).saved).toBe(false);
    expect(graphs()).toEqual([]);
    expect(ids(await backend.search(scope, query(7, { topK: 2 }))).sort()).toEqual(['new', 'r5']);
    await backend.delete(scope, { kind: 'ids', ids: ['new'] });
    const after = await backend.search(scope, query(7));
    expect(ids(after)[0]).toBe('r5');
    expect(ids(after)).not.toContain('new');
    expect(ids(after)).toEqual(ids(await backend.search(scope, query(7, { exact: true }))));
  });

  it('compacts a graph with removals into a fresh one, saved again', async () => {
    await readyGraph(backend, scope, ROWS);
    const gone = Array.from({ length: 40 }, (_, i) => `r${i * 7}`);
    await backend.delete(scope, { kind: 'ids', ids: gone });
    expect(graphs()).toEqual([]);
    // 40 removals are over a tenth of the graph: the next call starts the compaction, which
    // saves the fresh graph (a graph with removals is never saved).
    const status = await readyGraph(backend, scope, ROWS - 40);
    for (let i = 0; i < 500 && !(await backend.annStatus(scope)).saved; i++) await sleep(20);
    expect({ ...status, saved: true }).toEqual(await backend.annStatus(scope));
    expect(graphs()).toHaveLength(2);
    const found = await backend.search(scope, query(13, { topK: 100 }));
    expect(ids(found).filter((id) => gone.includes(id))).toEqual([]);
    expect(ids(found)).toEqual(
      ids(await backend.search(scope, query(13, { topK: 100, exact: true }))),
    );
  });

  it('filtered search returns topK when that many match, falling back on selective filters', async () => {
    await readyGraph(backend, scope, ROWS);
    const half: FilterNode = { op: '$eq', field: 'half', value: true };
    const rare: FilterNode = { op: '$eq', field: 'rare', value: true };
    const two: FilterNode = { op: '$in', field: 'i', values: [3, 250] };
    for (const filter of [half, rare, two]) {
      const approximate = await backend.search(scope, query(9, { filter }));
      const exact = await backend.search(scope, query(9, { filter, exact: true }));
      expect(ids(approximate)).toEqual(ids(exact));
    }
    const rows = await backend.search(scope, query(9, { filter: rare, includeMetadata: true }));
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row.metadata).toMatchObject({ rare: true });
    expect(await backend.search(scope, query(9, { filter: two }))).toHaveLength(2);
    expect(await backend.search(scope, query(9, { filter: half }))).toHaveLength(10);
  });

  it('loads the saved graph after a restart, and catches up with rows written after it', async () => {
    await readyGraph(backend, scope, ROWS);
    const [graph] = graphs();
    await backend.close();
    backend = sandbox.open({ workers: 1, ann });
    await readyGraph(backend, scope, ROWS);
    // Loaded as saved: no rebuild wrote a new graph file.
    expect(graphs()[0]).toBe(graph);

    // Rows written after the save, then a stop without saving (as a crash would leave it).
    await backend.upsert(scope, clustered(5, 20, 'late'));
    await backend.close();
    backend = sandbox.open({ workers: 1, ann });
    await readyGraph(backend, scope, ROWS + 20);
    expect(graphs()[0]).not.toBe(graph);
    const late = clustered(5, 20, 'late')[4] as VectorWrite;
    const [hit] = await backend.search(scope, { ...query(1), vector: late.values, topK: 1 });
    expect(hit?.id).toBe('late4');
  });

  it('rebuilds when the saved graph does not reflect SQLite', async () => {
    await readyGraph(backend, scope, ROWS);
    await backend.close();
    const manifest = join(placeDir(scope), 'ns-.json');
    const saved = JSON.parse(readFileSync(manifest, 'utf8')) as { mark: number };
    // Claims to hold rows it does not: the first row missing below the mark forces a rebuild.
    writeFileSync(manifest, JSON.stringify({ ...saved, mark: saved.mark + 1000 }));
    backend = sandbox.open({ workers: 1, ann });
    await backend.upsert(scope, clustered(6, 5, 'more'));
    await readyGraph(backend, scope, ROWS + 5);
    const approximate = await backend.search(scope, query(11));
    expect(ids(approximate)).toEqual(ids(await backend.search(scope, query(11, { exact: true }))));
  });

  it('removes a graph file left without its manifest, and rebuilds', async () => {
    await readyGraph(backend, scope, ROWS);
    const [graph] = graphs();
    await backend.close();
    rmSync(join(placeDir(scope), 'ns-.json'));
    backend = sandbox.open({ workers: 1, ann });
    await readyGraph(backend, scope, ROWS);
    expect(graphs()).toHaveLength(2);
    expect(graphs()).not.toContain(graph);
  });

  it('builds in the background: the tenant and a neighbour on the same worker are served meanwhile', async () => {
    const big = await provisionedTenant(backend, 'partition_key', space);
    // Large enough that the build outlasts the calls below many times over on a fast machine.
    for (let b = 0; b < 8; b++) await backend.upsert(big, clustered(20 + b, 1000, `b${b}-`));
    const neighbour = await provisionedTenant(backend, 'partition_key', space);
    await backend.upsert(neighbour, clustered(30, 10));
    await backend.search(big, query(1));
    expect((await backend.annStatus(big)).state).toBe('building');
    // Both answer while the build goes on: the tenant's own search exactly.
    const own = await backend.search(big, query(2));
    expect(ids(own)).toEqual(ids(await backend.search(big, query(2, { exact: true }))));
    expect(await backend.search(neighbour, query(3))).toHaveLength(10);
    expect((await backend.annStatus(big)).state).toBe('building');
    await readyGraph(backend, big, 8000);
  }, 90_000);

  it('keeps a graph per namespace, and erasure removes every graph file of the tenant', async () => {
    const docs = scopeInNamespace(scope, 'docs');
    await backend.upsert(docs, clustered(8, 150, 'd'));
    await readyGraph(backend, scope, ROWS);
    await readyGraph(backend, docs, 150);
    for (const found of await backend.search(docs, query(12, { topK: 50 }))) {
      expect(found).toMatchObject({ namespace: 'docs', id: expect.stringMatching(/^d/) });
    }
    expect(graphs().filter((f) => f.endsWith('.json'))).toEqual(['ns-.json', 'ns-646f6373.json']);
    const report = await backend.erase(scope);
    for (const place of report.places) expect(place.remaining).toBe(0);
    expect(existsSync(join(sandbox.dir, 'ann', scope.tenantUid))).toBe(false);
  });

  it('removes a graph an earlier release saved in the tenant directory before a delete', async () => {
    await readyGraph(backend, scope, ROWS);
    const tenantDir = join(sandbox.dir, 'ann', scope.tenantUid);
    const legacy = ['ns-.json', 'ns-.0a1b2c3d4e5f.usearch'];
    for (const name of legacy) writeFileSync(join(tenantDir, name), 'saved by an earlier release');
    await backend.delete(scope, { kind: 'ids', ids: ['r1'] });
    for (const name of legacy) expect(existsSync(join(tenantDir, name))).toBe(false);
    expect(graphs()).toEqual([]);
  });

  it('keeps a moving tenant’s graphs apart per place; erasing the old place keeps the new one', async () => {
    // The same tenant in its own database file, with other records (as during a move).
    const moved = await provisionedTenant(backend, 'database', space, {
      tenantUid: scope.tenantUid,
    });
    await backend.upsert(moved, clustered(9, ROWS + 40, 'm'));
    await readyGraph(backend, scope, ROWS);
    await readyGraph(backend, moved, ROWS + 40);
    expect(placeDir(moved)).not.toBe(placeDir(scope));
    expect(graphs(moved).filter((f) => f.endsWith('.json'))).toEqual(['ns-.json']);
    // A restart loads each place's own graph: the keys of one mean nothing in the other.
    await backend.close();
    backend = sandbox.open({ workers: 1, ann });
    await readyGraph(backend, moved, ROWS + 40);
    await readyGraph(backend, scope, ROWS);
    for (const [at, prefix] of [
      [moved, /^m/],
      [scope, /^r/],
    ] as const) {
      const approximate = await backend.search(at, query(13));
      expect(approximate).toHaveLength(10);
      for (const found of approximate) expect(found.id).toMatch(prefix);
      expect(ids(approximate)).toEqual(ids(await backend.search(at, query(13, { exact: true }))));
    }
    const report = await backend.erase(scope);
    for (const place of report.places) expect(place.remaining).toBe(0);
    expect(existsSync(placeDir(scope))).toBe(false);
    expect(graphs(moved).filter((f) => f.endsWith('.json'))).toEqual(['ns-.json']);
    expect((await backend.annStatus(moved)).state).toBe('ready');
    await backend.erase(moved);
    expect(existsSync(join(sandbox.dir, 'ann', scope.tenantUid))).toBe(false);
  });
});
