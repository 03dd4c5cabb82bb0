import { performance } from 'node:perf_hooks';
import { MetricName, ScoredRecord, SearchQuery } from '../../ports/vector.types';
import { approximateHits } from './embedded.ann-search';
import type { EngineFiles } from './embedded.engine-files';
import type { EngineTarget } from './embedded.engine-protocol';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { RowPredicate, compileRowFilter } from './embedded.row-filter';
import { toScore } from '../../ports/backend-rules';
import { Hit, TopK, scanBlock, USEARCH_SCORES } from './embedded.sliced-scan';
import { TenantMatrix } from './embedded.tenant-matrix';
import { metadataAsText, OnWire } from './embedded.wire-records';

/**
 * Time between two looks at the clock while a filter is evaluated. Rows between looks adapt to
 * the filter's cost: a cheap filter looks every few hundred rows, one at the cost limit (up to
 * thousands of comparisons per row) every row.
 */
const FILTER_BATCH_MS = 0.25;

/** The query a scan needs, apart from what to include in the answer. */
export interface ScanQuery {
  readonly vector: Float32Array;
  readonly topK: number;
  readonly metric: MetricName;
  readonly predicate?: RowPredicate;
}

/**
 * The top-k of the target's namespace (its matrix holds no other namespace's rows): from the
 * namespace's HNSW graph once it is complete, unless the query asks for `exact`; otherwise,
 * or when the graph cannot answer (see `approximateHits`), the exact scan.
 */
export function* searchJob(
  files: EngineFiles,
  target: EngineTarget,
  query: SearchQuery,
  clock: SliceClock,
): Job<OnWire<ScoredRecord>[]> {
  const matrix = yield* files.matrix(target, clock);
  files.ann.consider(files, target, matrix);
  const predicate = query.filter ? compileRowFilter(query.filter) : undefined;
  const scan = { vector: query.vector, topK: query.topK, metric: target.metric, predicate };
  const ann = query.exact ? undefined : matrix.ann;
  const hits =
    (ann && (yield* approximateHits(matrix, ann, scan, clock))) ||
    (yield* scanMatrix(matrix, scan, clock));
  let metadataChars = 0;
  if (query.includeMetadata)
    for (const hit of hits) metadataChars += matrix.metadataCharsAt(hit.row);
  const asText = metadataAsText(metadataChars);
  const found: OnWire<ScoredRecord>[] = [];
  for (const { row, distance } of hits) {
    const metadata = query.includeMetadata ? (matrix.metadataAt(row) ?? {}) : undefined;
    const owner = matrix.ownerAt(row);
    found.push({
      id: matrix.idAt(row),
      tenantUid: owner.tenantUid,
      namespace: owner.namespace,
      score: toScore(USEARCH_SCORES, target.metric, distance),
      ...(query.includeValues ? { values: matrix.valuesAt(row) } : {}),
      // Shared with the matrix only until the reply is posted, which copies it.
      ...(metadata ? (asText ? { metadataText: JSON.stringify(metadata) } : { metadata }) : {}),
    });
    // Writing a large answer's metadata as text is work of its own: other tenants' jobs on
    // this worker run between its slices.
    if (asText && clock.over()) yield;
  }
  return found;
}

/**
 * The exact top-k of a matrix, chunk by chunk with a running top-k, pausing between chunks.
 * With a filter each chunk's rows are tested first; then the plan follows the chunk's own
 * selectivity so a filtered search costs about an unfiltered one:
 * - most rows match: scan the chunk whole, asking for k plus the number of rows that do not
 *   match, so at least k matching rows survive dropping the others (exact, no retry);
 * - few rows match: copy the matching rows into a scratch block and scan only that.
 */
export function* scanMatrix(
  matrix: TenantMatrix,
  query: ScanQuery,
  clock: SliceClock,
): Job<readonly Hit[]> {
  const top = new TopK(Math.min(query.topK, matrix.count));
  const dimension = matrix.dimension;
  for (let c = 0; c < matrix.chunkCount; c++) {
    const chunk = matrix.chunk(c);
    const at = (position: number) => chunk.firstRow + position;
    const seq = (row: number) => matrix.seqAt(row);
    if (!query.predicate) {
      top.add(scanBlock(chunk.data, query.vector, dimension, top.k, query.metric, at, seq));
    } else {
      const matching = yield* rowsMatching(
        matrix,
        query.predicate,
        chunk.firstRow,
        chunk.rows,
        clock,
      );
      const k = Math.min(top.k, matching.length);
      if (k === 0) continue;
      if (matching.length * 2 >= chunk.rows) {
        const keep = new Set(matching);
        const widened = Math.min(chunk.rows, k + chunk.rows - matching.length);
        const hits = scanBlock(chunk.data, query.vector, dimension, widened, query.metric, at, seq);
        top.add(hits.filter((h) => keep.has(h.row - chunk.firstRow)).slice(0, k));
      } else {
        const scratch = new Float32Array(matching.length * dimension);
        matching.forEach((i, n) => {
          scratch.set(chunk.data.subarray(i * dimension, (i + 1) * dimension), n * dimension);
        });
        const row = (position: number) => chunk.firstRow + (matching[position] as number);
        top.add(scanBlock(scratch, query.vector, dimension, k, query.metric, row, seq));
      }
    }
    if (clock.over()) yield;
  }
  return top.hits;
}

/**
 * Positions (from `first`) of the next `count` rows whose metadata passes the predicate,
 * pausing when the slice is spent.
 */
export function* rowsMatching(
  matrix: TenantMatrix,
  predicate: RowPredicate,
  first: number,
  count: number,
  clock: SliceClock,
): Job<number[]> {
  const matching: number[] = [];
  let step = 1;
  let since = 0;
  let last = performance.now();
  for (let i = 0; i < count; i++) {
    if (predicate(matrix.metadataAt(first + i))) matching.push(i);
    if (++since < step) continue;
    since = 0;
    const now = performance.now();
    step = now - last > FILTER_BATCH_MS ? Math.max(1, step >> 1) : Math.min(256, step << 1);
    last = now;
    if (clock.over()) {
      yield;
      last = performance.now();
    }
  }
  return matching;
}
