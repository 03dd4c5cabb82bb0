/**
 * `npx tsx bench/list-walk.ts`: walks of one embedded tenant of 100,000 × 128 records through
 * `EmbeddedBackend.list`, in-process (its worker threads do the work): every record with
 * values and metadata at 1,000 per page (what a migration copies), ids only, a selective
 * filter (0.1 % of the records) and a prefix. For each: the time of the whole walk, pages,
 * the slowest page, and the main thread's event-loop delay meanwhile. Writes
 * bench/results/list-walk.md.
 *
 * Tunables (environment): BENCH_LIST_ROWS (100000), BENCH_LIST_DIMENSION (128).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { EmbeddedBackend } from '../libs/isolation/src/backends/embedded/embedded.backend';
import { ListPage, makeTenantScope, TenantScope } from '../libs/isolation/src/ports/vector.types';
import { rng } from '../test/support/rng';
import { machineLines, publish, runInScratch, tunable, upsertInBatches } from './engine-support';

const ROWS = tunable('BENCH_LIST_ROWS', 100_000);
const DIMENSION = tunable('BENCH_LIST_DIMENSION', 128);
const REPORT = join(__dirname, 'results', 'list-walk.md');

const next = rng(20_261_202);

interface Walk {
  readonly name: string;
  readonly page: Omit<ListPage, 'cursor'>;
}

const WALKS: readonly Walk[] = [
  {
    name: 'every record, values and metadata, 1,000 per page',
    page: { limit: 1000, includeValues: true, includeMetadata: true },
  },
  {
    name: 'ids only, 1,000 per page',
    page: { limit: 1000, includeValues: false, includeMetadata: false },
  },
  {
    name: 'filter matching 0.1 %, 100 per page',
    page: {
      limit: 100,
      filter: { op: '$eq', field: 'rare', value: true },
      includeValues: false,
      includeMetadata: true,
    },
  },
  {
    name: 'prefix matching 1 %, 100 per page',
    page: { limit: 100, prefix: 'doc-07', includeValues: false, includeMetadata: false },
  },
];

async function walk(
  backend: EmbeddedBackend,
  scope: TenantScope,
  page: Walk['page'],
): Promise<{ records: number; pages: number; ms: number; slowestMs: number; lagMs: number }> {
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const started = performance.now();
  let cursor: string | undefined;
  let records = 0;
  let pages = 0;
  let slowestMs = 0;
  do {
    const at = performance.now();
    const result = await backend.list(scope, { ...page, cursor });
    slowestMs = Math.max(slowestMs, performance.now() - at);
    records += result.records.length;
    pages++;
    cursor = result.next;
  } while (cursor !== undefined);
  const ms = performance.now() - started;
  lag.disable();
  return { records, pages, ms, slowestMs, lagMs: lag.max / 1e6 };
}

runInScratch('vg-bench-list-', async (dir, opened) => {
  const backend = new EmbeddedBackend({ directory: dir, cacheMb: 256, maxOpenFiles: 8 });
  opened.push(backend);
  const tenantUid = randomBytes(16).toString('hex');
  const space = { dimension: DIMENSION, metric: 'cosine' } as const;
  const placement = backend.plan({
    tenantId: 'bench',
    tenantUid,
    strategy: 'partition_key',
    space,
  });
  const scope = makeTenantScope({ tenantId: 'bench', tenantUid, placement, space });
  await backend.provision(scope);
  const writeStarted = performance.now();
  await upsertInBatches(backend, scope, ROWS, (i) => ({
    id: `doc-${String(i % 100).padStart(2, '0')}-${i}`,
    values: Float32Array.from({ length: DIMENSION }, () => next() * 2 - 1),
    metadata: { n: i, rare: i % 1000 === 0 },
  }));
  const writeMs = performance.now() - writeStarted;
  const lines = [
    `# Listing walks on the embedded backend`,
    '',
    ...machineLines(`${ROWS} records × ${DIMENSION} written in ${(writeMs / 1000).toFixed(1)} s.`),
    '',
    '| walk | records | pages | walk (ms) | slowest page (ms) | main-thread event-loop delay, max (ms) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const { name, page } of WALKS) {
    const r = await walk(backend, scope, page);
    lines.push(
      `| ${name} | ${r.records} | ${r.pages} | ${r.ms.toFixed(0)} | ${r.slowestMs.toFixed(1)} | ${r.lagMs.toFixed(1)} |`,
    );
  }
  publish(REPORT, lines);
});
