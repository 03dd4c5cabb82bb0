/**
 * `npx tsx bench/ann.ts`: approximate (HNSW) against exact search on one embedded tenant of
 * BENCH_ANN_ROWS × BENCH_ANN_DIMENSION (cosine), called in-process through `EmbeddedBackend`.
 * The data is clustered like embeddings: 1,000 centres, each record its centre plus a
 * perturbation in a 32-dimensional subspace plus small noise (uniform random vectors, which
 * embeddings are not, give HNSW a poor recall). Measures the upsert, the background build,
 * exact (`exact: true`) and approximate p50/p99 over the same 100 queries, recall@10 of the
 * approximate answers against the exact ones, a filtered search (half the rows match), the
 * memory counted by the engine and the process RSS, and the reload of the saved graph after a
 * restart. Writes bench/results/ann.md.
 *
 * Tunables (environment): BENCH_ANN_ROWS (200000), BENCH_ANN_DIMENSION (768),
 * BENCH_ANN_QUERIES (100).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ANN_DEFAULTS } from '../libs/isolation/src/backends/embedded/embedded.ann-index';
import { EmbeddedBackend } from '../libs/isolation/src/backends/embedded/embedded.backend';
import {
  FilterNode,
  makeTenantScope,
  SearchQuery,
  TenantScope,
} from '../libs/isolation/src/ports/vector.types';
import { rng } from '../test/support/rng';
import * as support from './engine-support';

const [ROWS, DIMENSION, QUERIES] = [
  support.tunable('BENCH_ANN_ROWS', 200_000),
  support.tunable('BENCH_ANN_DIMENSION', 768),
  support.tunable('BENCH_ANN_QUERIES', 100),
];
const CENTRES = 1_000;
const LATENT = 32;
const REPORT = join(__dirname, 'results', 'ann.md');

const next = rng(20_261_203);
const gauss = () => (next() + next() + next() - 1.5) * 1.15;
const centres = Array.from({ length: CENTRES }, () =>
  Float32Array.from({ length: DIMENSION }, gauss),
);
const basis = Array.from({ length: LATENT }, () =>
  Float32Array.from({ length: DIMENSION }, () => gauss() * 0.12),
);

function embedding(centre: number): Float32Array {
  const v = Float32Array.from(centres[centre] as Float32Array);
  for (const direction of basis) {
    const weight = gauss();
    for (let d = 0; d < DIMENSION; d++) v[d] = (v[d] as number) + weight * (direction[d] as number);
  }
  for (let d = 0; d < DIMENSION; d++) v[d] = (v[d] as number) + gauss() * 0.05;
  return v;
}

async function timed(backend: EmbeddedBackend, scope: TenantScope, queries: SearchQuery[]) {
  const ms: number[] = [];
  const answers: string[][] = [];
  for (const query of queries) {
    const start = performance.now();
    const found = await backend.search(scope, query);
    ms.push(performance.now() - start);
    answers.push(found.map((r) => r.id));
  }
  return { p50: support.percentile(ms, 50), p99: support.percentile(ms, 99), answers };
}

function recall(approximate: string[][], exact: string[][]): number {
  let found = 0;
  let wanted = 0;
  exact.forEach((truth, i) => {
    const got = new Set(approximate[i]);
    wanted += truth.length;
    found += truth.filter((id) => got.has(id)).length;
  });
  return found / wanted;
}

async function ready(backend: EmbeddedBackend, scope: TenantScope): Promise<number> {
  const start = performance.now();
  await backend.search(scope, {
    vector: embedding(0),
    topK: 1,
    includeMetadata: false,
    includeValues: false,
  });
  while ((await backend.annStatus(scope)).state !== 'ready') await sleep(100);
  return performance.now() - start;
}

function open(dir: string): EmbeddedBackend {
  return new EmbeddedBackend({
    directory: dir,
    cacheMb: 4096,
    maxOpenFiles: 16,
    workers: 1,
    ann: { minVectors: Math.min(ROWS, ANN_DEFAULTS.minVectors) },
  });
}

async function main(dir: string, opened: EmbeddedBackend[]): Promise<void> {
  let backend = open(dir);
  opened.push(backend);
  const tenantUid = randomBytes(16).toString('hex');
  const space = { dimension: DIMENSION, metric: 'cosine' } as const;
  const placement = backend.plan({ tenantId: 'b', tenantUid, strategy: 'database', space });
  const scope = makeTenantScope({ tenantId: 'bench-ann', tenantUid, placement, space });
  await backend.provision(scope);
  const rssBefore = process.memoryUsage().rss;
  const loadStart = performance.now();
  await support.upsertInBatches(backend, scope, ROWS, (i) => ({
    id: `r${i}`,
    values: embedding(i % CENTRES),
    // `even`: half of every cluster. `odd`: every record of half of the clusters (it follows
    // the clusters, so for half of the queries it rejects the whole neighbourhood).
    metadata: { even: Math.floor(i / CENTRES) % 2 === 0, odd: i % 2 === 1 },
  }));
  const loadMs = performance.now() - loadStart;
  const buildMs = await ready(backend, scope);
  const stats = await backend.stats();
  const rss = process.memoryUsage().rss - rssBefore;

  const base = { topK: 10, includeMetadata: false, includeValues: false } as const;
  const queries = Array.from({ length: QUERIES }, (_, q) => ({
    ...base,
    vector: embedding((q * 7919) % CENTRES),
  }));
  const exactOf = (qs: SearchQuery[]) => qs.map((q) => ({ ...q, exact: true }));
  const filter = (field: string): FilterNode => ({ op: '$eq', field, value: true });
  const filtered = queries.map((q) => ({ ...q, filter: filter('even') }));
  const clustered = queries.map((q) => ({ ...q, filter: filter('odd') }));
  const exact = await timed(backend, scope, exactOf(queries));
  const approximate = await timed(backend, scope, queries);
  const exactFiltered = await timed(backend, scope, exactOf(filtered));
  const approximateFiltered = await timed(backend, scope, filtered);
  const exactClustered = await timed(backend, scope, exactOf(clustered));
  const approximateClustered = await timed(backend, scope, clustered);

  await backend.close();
  backend = open(dir);
  opened.push(backend);
  const reloadMs = await ready(backend, scope);

  // Each approximate row is compared with the exact row above it.
  const rows = [
    ['exact (`exact: true`)', exact, exact],
    ['approximate', approximate, exact],
    ['exact, filter `{even: true}` (50 %)', exactFiltered, exactFiltered],
    ['approximate, filter `{even: true}`', approximateFiltered, exactFiltered],
    ['exact, filter `{odd: true}` (50 %, whole clusters)', exactClustered, exactClustered],
    ['approximate, filter `{odd: true}`', approximateClustered, exactClustered],
  ] as const;
  const lines = [
    `# Approximate search: one tenant of ${ROWS.toLocaleString('en')} × ${DIMENSION} (cosine, clustered)`,
    '',
    ...support.machineLines(`1 engine worker; HNSW connectivity ${ANN_DEFAULTS.connectivity},`),
    `expansion_add ${ANN_DEFAULTS.expansionAdd}, expansion_search ${ANN_DEFAULTS.expansionSearch}; ${QUERIES} queries, topK 10, one call at a time.`,
    `Data: ${CENTRES} centres, each record its centre plus a ${LATENT}-dimensional perturbation plus noise.`,
    '',
    `- upsert of all records (batches of 1,000): ${(loadMs / 1000).toFixed(1)} s`,
    `- graph build in the background (from the first search to ready): ${(buildMs / 1000).toFixed(1)} s`,
    `- reload of the saved graph after a restart (first search to ready): ${(reloadMs / 1000).toFixed(1)} s`,
    `- memory counted by the engine (matrix + graph): ${(stats.cacheBytes / 2 ** 20).toFixed(0)} MiB; process RSS growth: ${(rss / 2 ** 20).toFixed(0)} MiB`,
    '',
    '| search | p50 ms | p99 ms | p50 speed-up vs exact | recall@10 vs exact |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(([name, r, truth]) => {
      const speedUp = (truth.p50 / r.p50).toFixed(1);
      const recalled = recall(r.answers, truth.answers).toFixed(3);
      return `| ${name} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${speedUp}× | ${recalled} |`;
    }),
    '',
  ];
  support.publish(REPORT, lines);
}

support.runInScratch('vg-bench-ann-', main);
