import { join } from 'node:path';
import { makePrivateDirectory, openSqliteFile } from '@vecgate/core';
import {
  BackendHealth,
  ErasureReport,
  PlacementRequest,
  StrategyCapability,
} from '../../ports/backend-admin';
import { VectorBackendDriver } from '../../ports/vector-backend.driver';
import {
  CallOptions,
  DeleteSelector,
  Placement,
  ReadOptions,
  ScoredRecord,
  SearchQuery,
  StoredRecord,
  TenantScope,
  VectorWrite,
} from '../../ports/vector.types';
import { EngineStats, EngineTarget } from './embedded.engine-protocol';
import { EnginePool } from './embedded.engine-pool';
import { ensureIncrementalVacuum } from './embedded.vacuum';
import { EMBEDDED_DEFAULTS, EmbeddedOptions } from './embedded.options';
import { assertEmbeddedFile, locate, SHARED_FILE, UID } from './embedded.naming';

/**
 * The embedded backend: records durable in SQLite, exact search over in-memory per-tenant
 * matrices with usearch's SIMD kernels. Strategies: `database` (a file per tenant),
 * `collection` (a table per tenant) and `partition_key` (a shared table per vector space with
 * the tenant uid leading the primary key).
 *
 * This class is the facade on the main thread: it checks the placement and hands the work to
 * the engine workers (see `EnginePool`), so no tenant's search, filter or erasure runs on the
 * event loop. Every port method is async, so a refused placement is a rejected promise like
 * any other failure, as the store port promises its callers.
 */
export class EmbeddedBackend extends VectorBackendDriver {
  readonly name = 'embedded' as const;
  readonly capabilities: readonly StrategyCapability[] = [
    { strategy: 'database', limit: null },
    { strategy: 'collection', limit: null },
    { strategy: 'partition_key', limit: null },
  ];

  private readonly engine: EnginePool;

  constructor(options: EmbeddedOptions) {
    super();
    makePrivateDirectory(join(options.directory, 'tenants'));
    const shared = openSqliteFile(join(options.directory, SHARED_FILE), {
      incrementalVacuum: true,
    });
    try {
      // Once per data directory made before erasure reclaimed space in bounded steps.
      ensureIncrementalVacuum(shared);
    } finally {
      shared.close();
    }
    const workers = options.workers ?? EMBEDDED_DEFAULTS.workers;
    this.engine = new EnginePool({
      directory: options.directory,
      cacheBytes: Math.floor((options.cacheMb * 1024 * 1024) / workers),
      // Both budgets are split across the workers, so the totals stay what was configured.
      maxOpenFiles: Math.max(1, Math.floor(options.maxOpenFiles / workers)),
      sliceMs: options.sliceMs ?? EMBEDDED_DEFAULTS.sliceMs,
      workers,
      tenantQueue: options.tenantQueue ?? EMBEDDED_DEFAULTS.tenantQueue,
      queue: options.queue ?? EMBEDDED_DEFAULTS.queue,
    });
  }

  plan(request: PlacementRequest): Placement {
    if (!UID.test(request.tenantUid)) throw new Error('tenant uid must be 32 hex characters');
    const location = locate(request.strategy, request.tenantUid, request.space);
    return { backend: 'embedded', strategy: request.strategy, location: { ...location } };
  }

  async checkCapacity(_scope: TenantScope): Promise<void> {}

  async provision(scope: TenantScope): Promise<void> {
    await this.engine.call({ op: 'provision', target: this.target(scope) });
  }

  async erase(scope: TenantScope): Promise<ErasureReport> {
    return this.engine.call({ op: 'erase', target: this.target(scope) });
  }

  async health(): Promise<BackendHealth> {
    try {
      for (let w = 0; w < this.engine.size; w++) await this.engine.control(w, { op: 'health' });
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    return this.engine.close();
  }

  async upsert(
    scope: TenantScope,
    records: readonly VectorWrite[],
    call?: CallOptions,
  ): Promise<{ upserted: number }> {
    return this.engine.call({ op: 'upsert', target: this.target(scope), records }, call?.signal);
  }

  async fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
    call?: CallOptions,
  ): Promise<StoredRecord[]> {
    return this.engine.call(
      { op: 'fetch', target: this.target(scope), ids, options },
      call?.signal,
    );
  }

  async delete(
    scope: TenantScope,
    selector: DeleteSelector,
    call?: CallOptions,
  ): Promise<{ deleted: number }> {
    return this.engine.call({ op: 'delete', target: this.target(scope), selector }, call?.signal);
  }

  async search(
    scope: TenantScope,
    query: SearchQuery,
    call?: CallOptions,
  ): Promise<ScoredRecord[]> {
    return this.engine.call({ op: 'search', target: this.target(scope), query }, call?.signal);
  }

  async count(scope: TenantScope, call?: CallOptions): Promise<number> {
    return this.engine.call({ op: 'count', target: this.target(scope) }, call?.signal);
  }

  /** True while the tenant's matrix is held in memory (used by erasure checks). */
  async isCached(tenantUid: string): Promise<boolean> {
    const owner = this.engine.ownerOf(tenantUid);
    if (!this.engine.isStarted(owner)) return false;
    return this.engine.control(owner, { op: 'cached', tenantUid });
  }

  /** Per-tenant files open now, summed over the workers (each bounded by `maxOpenFiles`). */
  async openTenantFiles(): Promise<number> {
    return (await this.stats()).openTenantFiles;
  }

  /** Matrix cache and file use, summed over the started workers. */
  async stats(): Promise<EngineStats> {
    const total = { cachedTenants: 0, cacheBytes: 0, openTenantFiles: 0 };
    for (let w = 0; w < this.engine.size; w++) {
      if (!this.engine.isStarted(w)) continue;
      const s = await this.engine.control(w, { op: 'stats' });
      total.cachedTenants += s.cachedTenants;
      total.cacheBytes += s.cacheBytes;
      total.openTenantFiles += s.openTenantFiles;
    }
    return total;
  }

  /** Reads the location back from the scope and refuses anything that is not a name we make. */
  private target(scope: TenantScope): EngineTarget {
    const strategy = scope.placement.strategy;
    const expected = locate(strategy, scope.tenantUid, scope.space);
    const { file, table } = scope.placement.location;
    if (file !== expected.file || table !== expected.table) {
      throw new Error(`placement of tenant ${scope.tenantId} does not match its uid and strategy`);
    }
    assertEmbeddedFile(file);
    switch (strategy) {
      case 'database':
      case 'collection':
      case 'partition_key':
        return {
          tenantUid: scope.tenantUid,
          strategy,
          file,
          table,
          dimension: scope.space.dimension,
          metric: scope.space.metric,
        };
      case 'partition':
      case 'namespace':
      case 'dedicated_index':
        throw new Error(`embedded backend has no ${strategy} strategy`);
    }
  }
}
