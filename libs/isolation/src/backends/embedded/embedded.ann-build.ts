import { AnnIndex } from './embedded.ann-index';
import type { EngineFiles } from './embedded.engine-files';
import type { EngineTarget } from './embedded.engine-protocol';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { TenantMatrix } from './embedded.tenant-matrix';

/**
 * Builds a namespace's HNSW graph in the background, one vector at a time between looks at
 * the slice clock, in a scheduler queue of its own: the tenant's calls keep being answered
 * (by the exact scan) while it runs, and other tenants keep their share.
 *
 * The first build starts from the saved graph when there is one: rows up to its mark must all
 * be in it (else it is discarded and the graph rebuilt), rows past the mark are added (a crash
 * after those writes loses nothing). A compaction (the matrix already has a graph) builds a
 * fresh graph without the removed vectors and swaps it in. Writes during the build reach the
 * new graph directly; the walk skips rows already there and repeats until every row is in.
 * The graph is saved when complete, unless it has seen removals (usearch keeps their bytes).
 */
export function* annBuildJob(
  files: EngineFiles,
  target: EngineTarget,
  matrix: TenantMatrix,
  clock: SliceClock,
): Job<void> {
  const keeper = files.ann;
  const alive = () => files.cache.peek(target) === matrix;
  const fresh = () => AnnIndex.create(target.dimension, target.metric, keeper.settings);
  const saved = matrix.ann ? undefined : keeper.files.load(target, keeper.settings);
  let ann = saved?.ann ?? fresh();
  let mark = saved?.mark ?? -1;
  let added = 0;
  let bytes = matrix.bytes;
  const account = () => {
    files.cache.resized(target, bytes);
    bytes = matrix.bytes;
  };
  matrix.building = ann;
  account();
  try {
    for (;;) {
      let consistent = true;
      for (let row = 0; row < matrix.count; row++) {
        const seq = matrix.seqAt(row);
        if (!ann.has(seq)) {
          // A saved graph missing a row it should hold does not reflect SQLite: rebuild.
          if (seq <= mark) {
            consistent = false;
            break;
          }
          ann.add(seq, matrix.valuesAt(row));
          added++;
        }
        if (clock.over()) {
          account();
          yield;
          if (!alive() || matrix.building !== ann) return;
        }
      }
      if (consistent && ann.size === matrix.count) break;
      // Fewer: a delete moved an unvisited row behind the walk; walk again. More, or a row
      // missing below the mark: the saved graph does not reflect SQLite; start afresh.
      if (!consistent || ann.size > matrix.count) {
        keeper.files.invalidate(target);
        ann = fresh();
        matrix.building = ann;
        mark = -1;
        added = 0;
      }
    }
    if (!alive()) return;
    matrix.ann = ann;
    matrix.building = undefined;
    if (ann.removals === 0 && (added > 0 || !saved)) {
      keeper.files.save(target, ann, highestSeq(matrix), keeper.settings);
    }
  } finally {
    if (matrix.building === ann) matrix.building = undefined;
    if (alive()) account();
  }
}

function highestSeq(matrix: TenantMatrix): number {
  let high = -1;
  for (let row = 0; row < matrix.count; row++) high = Math.max(high, matrix.seqAt(row));
  return high;
}
