import { Index, ScalarKind } from 'usearch';
import { MetricName } from '../../ports/vector.types';
import { USEARCH_METRIC } from './embedded.sliced-scan';

/** How approximate search is set up; the defaults are documented in docs/backends/embedded.md. */
export interface AnnSettings {
  /** Rows a namespace needs before it gets an HNSW index (`EMBEDDED_ANN_MIN_VECTORS`). */
  readonly minVectors: number;
  /** Graph links per node (usearch `connectivity`). */
  readonly connectivity: number;
  /** Candidates kept while inserting (usearch `expansion_add`). */
  readonly expansionAdd: number;
  /** Candidates kept while searching (usearch `expansion_search`, fixed at creation). */
  readonly expansionSearch: number;
}

export const ANN_DEFAULTS: AnnSettings = {
  minVectors: 50_000,
  connectivity: 16,
  expansionAdd: 64,
  expansionSearch: 128,
};

/** An approximate neighbour: the record's sequence (its rowid, the index key) and distance. */
export interface AnnMatch {
  readonly seq: number;
  readonly distance: number;
}

/**
 * One HNSW graph (usearch `Index`) over one namespace of one tenant, keyed by each record's
 * sequence (its SQLite rowid, stable across replacements). `removals` counts vectors removed or
 * replaced since the graph was created: usearch keeps their bytes until the graph is rebuilt,
 * so such a graph is never saved.
 */
export class AnnIndex {
  removals = 0;
  /** When the first removal happened (ms since the epoch), for the compaction deadline. */
  removedSince?: number;

  private constructor(
    readonly index: Index,
    readonly dimension: number,
    private readonly settings: AnnSettings,
  ) {}

  static create(dimension: number, metric: MetricName, settings: AnnSettings): AnnIndex {
    const index = new Index({
      dimensions: dimension,
      metric: USEARCH_METRIC[metric],
      quantization: ScalarKind.F32,
      connectivity: settings.connectivity,
      expansion_add: settings.expansionAdd,
      expansion_search: settings.expansionSearch,
      multi: false,
    });
    return new AnnIndex(index, dimension, settings);
  }

  /** Candidates a search visits anyway: asking for up to this many results costs no more. */
  get expansion(): number {
    return this.settings.expansionSearch;
  }

  get size(): number {
    return this.index.size();
  }

  /**
   * Estimated native memory: a copy of every vector plus the base layer's links (two per
   * connectivity) and key bookkeeping, for every slot allocated.
   */
  get bytes(): number {
    const perVector = this.dimension * 4 + this.settings.connectivity * 8 + 40;
    return Math.max(this.index.capacity(), this.index.size()) * perVector;
  }

  has(seq: number): boolean {
    return this.index.contains(BigInt(seq)) as boolean;
  }

  /** Adds a vector; `values` must own its buffer from offset 0 (usearch ignores byteOffset). */
  add(seq: number, values: Float32Array): void {
    this.index.add(BigInt(seq), values, 1);
  }

  /** Replaces a vector in place of an earlier one under the same key, if there was one. */
  put(seq: number, values: Float32Array): void {
    this.remove(seq);
    this.add(seq, values);
  }

  /** Removes a key; returns true when it was there. */
  remove(seq: number): boolean {
    const removed = (this.index.remove(BigInt(seq)) as number) > 0;
    if (removed) {
      this.removals++;
      this.removedSince ??= Date.now();
    }
    return removed;
  }

  /** Up to `k` approximate neighbours, closest first (one thread: the worker's own). */
  search(vector: Float32Array, k: number): AnnMatch[] {
    if (this.size === 0 || k <= 0) return [];
    const found = this.index.search(vector, Math.min(k, this.size), 1);
    const matches: AnnMatch[] = [];
    for (let i = 0; i < found.keys.length; i++) {
      const key = found.keys[i] as bigint;
      // usearch pads missing results with the all-ones key.
      if (key === 0xffffffffffffffffn) continue;
      matches.push({ seq: Number(key), distance: found.distances[i] as number });
    }
    return matches;
  }

  save(path: string): void {
    this.index.save(path);
  }

  /** Reads a saved graph into a fresh index with the same settings. */
  static load(path: string, dimension: number, metric: MetricName, settings: AnnSettings) {
    const ann = AnnIndex.create(dimension, metric, settings);
    ann.index.load(path);
    return ann;
  }
}
