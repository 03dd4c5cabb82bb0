import type { AnnIndex } from './embedded.ann-index';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import type { ScanQuery } from './embedded.search';
import { closer, Hit } from './embedded.sliced-scan';
import { TenantMatrix } from './embedded.tenant-matrix';

/**
 * A filtered search first asks the graph for this many times `topK` candidates, or for twice
 * its search expansion (half of them may fail the filter), whichever is more...
 */
const FILTER_WIDEN = 4;
/** ...widening by the same factor while too few pass, up to this many candidates. */
export const MAX_CANDIDATES = 1024;
/**
 * Below this share of passing candidates the filter rejects most of the query's neighbourhood:
 * the few that pass sit where the search looked sparsely (poor recall), so the search widens,
 * and past `MAX_CANDIDATES` the filter is selective and the exact scan (which scans only the
 * matching rows) is both exact and cheap.
 */
const MIN_PASSING_SHARE = 0.25;

/**
 * The approximate top-k from the namespace's HNSW graph, in the exact scan's order (distance,
 * then sequence), or `undefined` when the graph cannot answer it and the exact scan must:
 * the graph returned fewer than `topK` rows, or a filter let fewer than `topK` (or under a
 * quarter) of the widest candidate set pass. Every answer thus holds `topK` rows whenever
 * that many match, as the exact scan's does.
 */
export function* approximateHits(
  matrix: TenantMatrix,
  ann: AnnIndex,
  query: ScanQuery,
  clock: SliceClock,
): Job<readonly Hit[] | undefined> {
  const k = Math.min(query.topK, matrix.count);
  if (k === 0) return [];
  let ask = query.predicate ? Math.max(k * FILTER_WIDEN, 2 * ann.expansion) : k;
  for (;;) {
    const asked = Math.min(ask, matrix.count, MAX_CANDIDATES);
    const hits: Hit[] = [];
    for (const match of ann.search(query.vector, asked)) {
      const row = matrix.rowOfSeq(match.seq);
      if (row === undefined) continue;
      if (query.predicate && !query.predicate(matrix.metadataAt(row))) continue;
      hits.push({ row, distance: match.distance, seq: match.seq });
    }
    const enough =
      hits.length >= k && (!query.predicate || hits.length >= asked * MIN_PASSING_SHARE);
    if (enough) return hits.sort(closer).slice(0, k);
    if (!query.predicate || asked >= matrix.count || asked >= MAX_CANDIDATES) return undefined;
    ask = asked * FILTER_WIDEN;
    if (clock.over()) yield;
  }
}
