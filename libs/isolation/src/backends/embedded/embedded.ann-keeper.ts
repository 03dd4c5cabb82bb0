import type { EngineFiles } from './embedded.engine-files';
import type { EngineTarget } from './embedded.engine-protocol';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { annBuildJob } from './embedded.ann-build';
import { AnnFiles } from './embedded.ann-files';
import { AnnSettings } from './embedded.ann-index';
import { MatrixPlace, placeKeyOf } from './embedded.matrix-cache';
import { TenantMatrix } from './embedded.tenant-matrix';

/** A graph with removed or replaced vectors is rebuilt once they reach this share of it... */
const COMPACT_SHARE = 0.1;
/** ...or at the latest this long after the first removal, at the namespace's next call. */
export const COMPACT_AFTER_MS = 60_000;

/** A write as the matrix mirrors it: the record's sequence and its vector. */
export interface AnnWrite {
  readonly seq: number;
  readonly values: Float32Array;
}

/** Starts a background job under its own scheduler queue; `done` runs when it settles. */
export type Spawn = (
  queue: string,
  start: (clock: SliceClock) => Job<unknown>,
  done: () => void,
) => void;

/**
 * Keeps each large namespace's HNSW graph in step with its records: starts builds and
 * compactions in the background, mirrors writes into the graphs, and removes a saved graph
 * before any write that would make it hold a deleted or replaced vector.
 */
export class AnnKeeper {
  readonly files: AnnFiles;
  private readonly running = new Set<string>();
  private spawn?: Spawn;

  constructor(
    root: string,
    readonly settings: AnnSettings,
  ) {
    this.files = new AnnFiles(root);
  }

  /** Connects the keeper to the worker's scheduler; without it no graph is ever built. */
  attach(spawn: Spawn): void {
    this.spawn = spawn;
  }

  /**
   * Called with a cached matrix after each call of its namespace: starts the first build when
   * the namespace has grown large enough, or a compaction when removals have piled up.
   */
  consider(engine: EngineFiles, target: EngineTarget, matrix: TenantMatrix): void {
    const queue = queueOf(target);
    if (!this.spawn || this.running.has(queue)) return;
    if (engine.cache.peek(target) !== matrix || matrix.building) return;
    const ann = matrix.ann;
    if (!ann) {
      if (matrix.count < this.settings.minVectors || !this.fits(engine, matrix)) return;
    } else {
      const due =
        ann.removals >= Math.max(1, ann.size * COMPACT_SHARE) ||
        (ann.removedSince !== undefined && Date.now() - ann.removedSince >= COMPACT_AFTER_MS);
      if (!due) return;
    }
    this.running.add(queue);
    this.spawn(
      queue,
      (clock) => annBuildJob(engine, target, matrix, clock),
      () => this.running.delete(queue),
    );
  }

  /** Whether a build or compaction of the namespace's graph is queued or running. */
  isBusy(target: MatrixPlace): boolean {
    return this.running.has(queueOf(target));
  }

  /**
   * Before an upsert: a saved graph stays valid for new records (a restart adds rows past its
   * mark) but not for replaced ones, so it is removed before a write replaces a record.
   */
  beforeUpsert(engine: EngineFiles, target: EngineTarget, ids: readonly string[]): void {
    if (!this.files.hasSaved(target)) return;
    const matrix = engine.cache.peek(target);
    const replaces = matrix
      ? ids.some((id) => matrix.rowOf(id) !== undefined)
      : engine.records(target).fetch(target, ids).length > 0;
    if (replaces) this.files.invalidate(target);
  }

  /** Before a delete: the saved graph would keep the deleted vectors, so it goes first. */
  beforeDelete(target: EngineTarget): void {
    this.files.invalidate(target);
  }

  /** Mirrors written records into the namespace's graphs (replacing earlier vectors). */
  afterUpsert(matrix: TenantMatrix, writes: readonly AnnWrite[]): void {
    for (const ann of [matrix.ann, matrix.building]) {
      if (!ann) continue;
      // The graph keeps its own copy; usearch needs a buffer that starts at offset 0.
      for (const w of writes)
        ann.put(w.seq, w.values.byteOffset === 0 ? w.values : w.values.slice());
    }
  }

  /** Removes deleted records from the namespace's graphs. */
  afterRemove(matrix: TenantMatrix, seqs: readonly number[]): void {
    for (const ann of [matrix.ann, matrix.building]) {
      if (ann) for (const seq of seqs) ann.remove(seq);
    }
  }

  /** Whether the matrix with a graph of all its rows would stay within the memory budget. */
  private fits(engine: EngineFiles, matrix: TenantMatrix): boolean {
    const perVector = matrix.dimension * 4 + this.settings.connectivity * 8 + 40;
    return matrix.bytes + matrix.count * perVector * 1.5 <= engine.cache.budget;
  }
}

/** The scheduler queue of a namespace's graph work in one place: one build at a time. */
function queueOf(target: MatrixPlace): string {
  return `${placeKeyOf(target)}#ann`;
}
