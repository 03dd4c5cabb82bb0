import { exactSearch, MetricKind } from 'usearch';
import type { RawScores } from '../../ports/backend-rules';
import { MetricName } from '../../ports/vector.types';

export const USEARCH_METRIC: Record<MetricName, MetricKind> = {
  cosine: MetricKind.Cos,
  euclidean: MetricKind.L2sq,
  dot: MetricKind.IP,
};

/**
 * A scanned row: its position in the tenant's matrix, usearch's distance (lower is closer)
 * and the record's insertion sequence.
 */
export interface Hit {
  readonly row: number;
  readonly distance: number;
  readonly seq: number;
}

/**
 * The one order every scan agrees on: distance, then insertion sequence. Ties are thus
 * deterministic and independent of where rows sit in memory (which changes on delete, and
 * with the chunk size).
 */
export function closer(a: Hit, b: Hit): number {
  return a.distance - b.distance || a.seq - b.seq;
}

/**
 * The best `k` rows of one contiguous block, in `closer` order. `rowOf` maps a position in the
 * block to a matrix row, `seqOf` a row to its insertion sequence. usearch picks freely among equal distances at
 * the cut, so when the (k+1)-th distance equals the k-th the block is asked again with a larger
 * count, until the tie is fully inside; then the cut is made by sequence. This keeps a scan split
 * into chunks identical to one scan of the whole matrix.
 */
export function scanBlock(
  data: Float32Array,
  query: Float32Array,
  dimension: number,
  k: number,
  metric: MetricName,
  rowOf: (position: number) => number,
  seqOf: (row: number) => number,
): Hit[] {
  const available = data.length / dimension;
  if (k <= 0 || available === 0) return [];
  let ask = Math.min(available, k + 1);
  for (;;) {
    const found = exactSearch(data, query, dimension, ask, USEARCH_METRIC[metric], 1);
    const hits: Hit[] = [];
    const keys = found.keys;
    const distances = found.distances;
    for (let i = 0; i < keys.length; i++) {
      const row = rowOf(Number(keys[i]));
      hits.push({ row, distance: distances[i] as number, seq: seqOf(row) });
    }
    hits.sort(closer);
    const last = hits[hits.length - 1];
    const kth = hits[Math.min(k, hits.length) - 1];
    if (ask >= available || !last || !kth || last.distance !== kth.distance) {
      return hits.slice(0, k);
    }
    ask = Math.min(available, ask * 2);
  }
}

/** A running top-k over blocks, merged in `closer` order. */
export class TopK {
  private best: Hit[] = [];

  constructor(readonly k: number) {}

  add(hits: readonly Hit[]): void {
    if (hits.length === 0) return;
    const merged: Hit[] = [];
    let i = 0;
    let j = 0;
    while (merged.length < this.k && (i < this.best.length || j < hits.length)) {
      const a = this.best[i];
      const b = hits[j];
      if (b === undefined || (a !== undefined && closer(a, b) <= 0)) {
        merged.push(a as Hit);
        i++;
      } else {
        merged.push(b);
        j++;
      }
    }
    this.best = merged;
  }

  get hits(): readonly Hit[] {
    return this.best;
  }
}

/** usearch's distances: 1 − cosine, 1 − dot product, squared euclidean. */
export const USEARCH_SCORES: RawScores = {
  cosine: 'distance_from_one',
  dot: 'distance_from_one',
  euclidean: 'squared_distance',
};
