import { ANN_DEFAULTS, AnnSettings } from './embedded.ann-index';
import type { EnginePoolOptions } from './embedded.engine-pool';

export interface EmbeddedOptions {
  /** Directory for the embedded backend's files (`<DATA_DIR>/embedded`). */
  readonly directory: string;
  /** Memory budget for in-memory tenant matrices, in MiB, split evenly across the workers. */
  readonly cacheMb: number;
  /** Maximum per-tenant SQLite files open at once, split evenly across the workers. */
  readonly maxOpenFiles: number;
  /** Engine worker threads (`EMBEDDED_WORKERS`). */
  readonly workers?: number;
  /** Calls one tenant may have queued or running (`EMBEDDED_TENANT_QUEUE`); beyond: 429. */
  readonly tenantQueue?: number;
  /** Calls the engine may have queued or running in all (`EMBEDDED_QUEUE`); beyond: 503. */
  readonly queue?: number;
  /** Longest run of one job before the worker turns to the next tenant (`EMBEDDED_SLICE_MS`). */
  readonly sliceMs?: number;
  /** Approximate search (`EMBEDDED_ANN_MIN_VECTORS` sets `minVectors`); defaults: ANN_DEFAULTS. */
  readonly ann?: Partial<AnnSettings>;
}

/** The documented defaults, also used by the gateway configuration. */
export const EMBEDDED_DEFAULTS = {
  workers: 2,
  tenantQueue: 16,
  queue: 1024,
  sliceMs: 2,
  annMinVectors: ANN_DEFAULTS.minVectors,
} as const;

/** The engine's settings: the memory and open-file budgets are split across the workers. */
export function engineOptions(options: EmbeddedOptions): EnginePoolOptions {
  const workers = options.workers ?? EMBEDDED_DEFAULTS.workers;
  return {
    directory: options.directory,
    cacheBytes: Math.floor((options.cacheMb * 1024 * 1024) / workers),
    maxOpenFiles: Math.max(1, Math.floor(options.maxOpenFiles / workers)),
    sliceMs: options.sliceMs ?? EMBEDDED_DEFAULTS.sliceMs,
    workers,
    tenantQueue: options.tenantQueue ?? EMBEDDED_DEFAULTS.tenantQueue,
    queue: options.queue ?? EMBEDDED_DEFAULTS.queue,
    ann: { ...ANN_DEFAULTS, ...options.ann },
  };
}

/**
 * One record's metadata the embedded backend stores, in bytes of JSON: SQLite holds far more,
 * but metadata is parsed into the worker's memory beside each tenant's matrix.
 */
export const EMBEDDED_METADATA_CAPACITY = 256 * 1024;
