import { ErasureReport } from '../../ports/backend-admin';
import {
  DeleteSelector,
  FilterNode,
  Metadata,
  MetricName,
  ReadOptions,
  ScoredRecord,
  SearchQuery,
  StoredRecord,
} from '../../ports/vector.types';
import type { AnnSettings } from './embedded.ann-index';
import type { EngineFault } from './embedded.errors';
import { EmbeddedStrategy } from './embedded.naming';
import type { OnWire } from './embedded.wire-records';

/**
 * What an engine worker needs to find one tenant's records; re-checked by the worker. Data
 * calls act in `namespace` only; provision and erase act on the tenant's whole place.
 */
export interface EngineTarget {
  readonly tenantUid: string;
  readonly namespace: string;
  readonly strategy: EmbeddedStrategy;
  readonly file: string;
  readonly table: string;
  readonly dimension: number;
  readonly metric: MetricName;
}

export interface EngineWrite {
  readonly id: string;
  readonly values: Float32Array;
  readonly metadata?: Metadata;
}

/** A page of a listing as the worker runs it: the cursor already checked on the main thread. */
export interface EngineListPage extends ReadOptions {
  /** The last id of the previous page; `''` at the start (ids are never empty). */
  readonly after: string;
  readonly limit: number;
  readonly prefix: string;
  readonly filter?: FilterNode;
}

/** A listed page; `last` (the last id examined) is present while more records may remain. */
export interface EngineListed {
  readonly records: OnWire<StoredRecord>[];
  readonly last?: string;
}

/** Tenant work, queued in the tenant's FIFO inside its worker. */
export type EngineCall =
  | { readonly op: 'provision'; readonly target: EngineTarget }
  | {
      readonly op: 'upsert';
      readonly target: EngineTarget;
      readonly records: readonly EngineWrite[];
    }
  | {
      readonly op: 'fetch';
      readonly target: EngineTarget;
      readonly ids: readonly string[];
      readonly options: ReadOptions;
    }
  | { readonly op: 'delete'; readonly target: EngineTarget; readonly selector: DeleteSelector }
  | { readonly op: 'search'; readonly target: EngineTarget; readonly query: SearchQuery }
  | { readonly op: 'count'; readonly target: EngineTarget }
  | { readonly op: 'list'; readonly target: EngineTarget; readonly page: EngineListPage }
  | { readonly op: 'erase'; readonly target: EngineTarget };

/** What each call resolves to; a call op without an entry here does not compile. */
export interface EngineResults {
  provision: null;
  upsert: { upserted: number };
  fetch: OnWire<StoredRecord>[];
  delete: { deleted: number };
  search: OnWire<ScoredRecord>[];
  count: number;
  list: EngineListed;
  erase: ErasureReport;
}

export interface EngineStats {
  readonly cachedTenants: number;
  readonly cacheBytes: number;
  readonly openTenantFiles: number;
}

/** Answered between slices, never queued behind tenant work. */
export type EngineControl =
  | { readonly op: 'stats' }
  | { readonly op: 'cached'; readonly tenantUid: string }
  | { readonly op: 'health' }
  | { readonly op: 'ann'; readonly target: EngineTarget }
  | { readonly op: 'close' };

export interface ControlResults {
  stats: EngineStats;
  cached: boolean;
  health: null;
  ann: AnnStatus;
  close: null;
}

/** A namespace's HNSW graph as its worker holds it (`none` also when its matrix is not held). */
export interface AnnStatus {
  readonly state: 'none' | 'building' | 'ready';
  /** Vectors in the graph searches use (0 unless ready). */
  readonly size: number;
  /** Whether a saved graph is on disk for the namespace. */
  readonly saved: boolean;
}

export type EngineRequest =
  | { readonly id: number; readonly kind: 'call'; readonly call: EngineCall }
  | { readonly id: number; readonly kind: 'control'; readonly control: EngineControl }
  | { readonly id: number; readonly kind: 'cancel' };

/** `cancelled` means the call stopped (or never ran) because its signal aborted. */
export type EngineReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly cancelled: true }
  | {
      readonly id: number;
      readonly ok: false;
      readonly cancelled: false;
      readonly fault: EngineFault;
    };

export interface EngineWorkerData {
  readonly directory: string;
  readonly cacheBytes: number;
  readonly maxOpenFiles: number;
  readonly sliceMs: number;
  readonly ann: AnnSettings;
}
