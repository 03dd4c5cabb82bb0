/**
 * `npx tsx bench/embedded-engine.ts`: the embedded engine on one tenant of 50,000 × 768
 * (cosine, clustered), called in-process through `EmbeddedBackend` (its worker threads do the
 * work). Measures unfiltered search, a selective filter (`{g: 3}`, 10 % of the rows) and an
 * unselective one (`{g: {$ne: 3}}`, 90 %), the main thread's event-loop delay during them,
 * and a small neighbour's search latency alone and while the large tenant searches with
 * filters back to back on the same worker. Writes bench/results/embedded-engine.md.
 *
 * Tunables (environment): BENCH_ENGINE_ROWS (50000), BENCH_ENGINE_DIMENSION (768), BENCH_ENGINE_QUERIES (200),
 * BENCH_ENGINE_WORKERS (2).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { EmbeddedBackend } from '../libs/isolation/src/backends/embedded/embedded.backend';
import { FilterNode, makeTenantScope, TenantScope } from '../libs/isolation/src/ports/vector.types';
import { rng } from '../test/support/rng';
import {
  machineLines,
  percentile,
  publish,
  runInScratch,
  tunable,
  upsertInBatches,
} from './engine-support';

const ROWS = tunable('BENCH_ENGINE_ROWS', 50_000);
const DIMENSION = tunable('BENCH_ENGINE_DIMENSION', 768);
const QUERIES = tunable('BENCH_ENGINE_QUERIES', 200);
const WORKERS = tunable('BENCH_ENGINE_WORKERS', 2);
const GROUPS = 10;
const NEIGHBOUR_ROWS = 1_000;
const REPORT = join(__dirname, 'results', 'embedded-engine.md');

const next = rng(20_261_202);
const centroids = Array.from({ length: GROUPS }, () => randomVector(1));

function randomVector(scale: number): Float32Array {
  return Float32Array.from({ length: DIMENSION }, () => (next() * 2 - 1) * scale);
}

function clustered(group: number): Float32Array {
  const centre = centroids[group] as Float32Array;
  return Float32Array.from(centre, (c) => c + (next() * 2 - 1) * 0.4);
}

/** A uid whose tenant lands on worker `worker` (the engine pins by the uid's first 8 hex). */
function uidOn(worker: number): string {
  for (;;) {
    const uid = randomBytes(16).toString('hex');
    if (Number.parseInt(uid.slice(0, 8), 16) % WORKERS === worker) return uid;
  }
}

async function tenant(backend: EmbeddedBackend, rows: number): Promise<TenantScope> {
  const tenantUid = uidOn(0);
  const space = { dimension: DIMENSION, metric: 'cosine' } as const;
  const placement = backend.plan({ tenantId: 'b', tenantUid, strategy: 'partition_key', space });
  const scope = makeTenantScope({ tenantId: `bench-${tenantUid}`, tenantUid, placement, space });
  await backend.provision(scope);
  await upsertInBatches(backend, scope, rows, (i) => ({
    id: `r${i}`,
    values: clustered(i % GROUPS),
    metadata: { g: i % GROUPS, i },
  }));
  return scope;
}

interface Row {
  name: string;
  p50: number;
  p99: number;
  loopMaxMs: number;
  hits: number;
}

async function measure(
  name: string,
  backend: EmbeddedBackend,
  scope: TenantScope,
  filter: FilterNode | undefined,
  queries: readonly Float32Array[],
): Promise<Row> {
  const search = (vector: Float32Array) =>
    backend.search(scope, {
      vector,
      topK: 10,
      includeMetadata: true,
      includeValues: false,
      ...(filter ? { filter } : {}),
    });
  for (const q of queries.slice(0, 10)) await search(q);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const samples: number[] = [];
  let hits = 0;
  for (const q of queries) {
    const start = performance.now();
    const found = await search(q);
    samples.push(performance.now() - start);
    hits = Math.min(hits || found.length, found.length);
  }
  loop.disable();
  return {
    name,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    loopMaxMs: loop.max / 1e6,
    hits,
  };
}

async function main(dir: string, opened: EmbeddedBackend[]): Promise<void> {
  const backend = new EmbeddedBackend({
    directory: dir,
    cacheMb: 1024,
    maxOpenFiles: 16,
    workers: WORKERS,
    // The exact scan is measured here; approximate search has its own bench (bench/ann.ts).
    ann: { minVectors: Number.MAX_SAFE_INTEGER },
  });
  opened.push(backend);
  const loadStart = performance.now();
  const big = await tenant(backend, ROWS);
  const neighbour = await tenant(backend, NEIGHBOUR_ROWS);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const queries = Array.from({ length: QUERIES }, (_, i) => clustered(i % GROUPS));
  const coldStart = performance.now();
  await backend.search(big, {
    vector: queries[0]!,
    topK: 10,
    includeMetadata: false,
    includeValues: false,
  });
  const coldMs = performance.now() - coldStart;

  const selective: FilterNode = { op: '$eq', field: 'g', value: 3 };
  const unselective: FilterNode = { op: '$ne', field: 'g', value: 3 };
  const cases: [string, TenantScope, FilterNode | undefined][] = [
    ['unfiltered', big, undefined],
    ['filter {g: 3} (10 %)', big, selective],
    ['filter {g: {$ne: 3}} (90 %)', big, unselective],
    ['neighbour alone (1,000 rows)', neighbour, undefined],
  ];
  const rows: Row[] = [];
  for (const [name, scope, filter] of cases)
    rows.push(await measure(name, backend, scope, filter, queries));

  // The neighbour again, while the large tenant runs unselective filtered searches back to
  // back on the same worker.
  let stop = false;
  const noisy = (async () => {
    let i = 0;
    while (!stop) {
      await backend.search(big, {
        vector: queries[i++ % queries.length]!,
        topK: 10,
        filter: unselective,
        includeMetadata: true,
        includeValues: false,
      });
    }
  })();
  rows.push(
    await measure(
      'neighbour during large filtered searches',
      backend,
      neighbour,
      undefined,
      queries,
    ),
  );
  stop = true;
  await noisy;

  const unfiltered = rows[0]!;
  const lines = [
    '# Embedded engine: one tenant of ' +
      `${ROWS.toLocaleString('en')} × ${DIMENSION} (cosine, ${GROUPS} clusters)`,
    '',
    ...machineLines(`${WORKERS} engine workers,`),
    `EMBEDDED_SLICE_MS default; ${QUERIES} queries per row, topK 10 with metadata, one call at a time.`,
    `Loading the data took ${loadSeconds.toFixed(1)} s; the first search (matrix load from SQLite) ${coldMs.toFixed(0)} ms.`,
    '',
    '| search | p50 ms | p99 ms | p50 vs unfiltered | main event-loop delay max ms | hits |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.p50 / unfiltered.p50).toFixed(2)}× | ${r.loopMaxMs.toFixed(1)} | ${r.hits} |`,
    ),
    '',
  ];
  publish(REPORT, lines);
}

runInScratch('vg-bench-engine-', main);
