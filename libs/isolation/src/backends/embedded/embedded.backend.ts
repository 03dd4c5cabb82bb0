import {
  BackendHealth,
  ErasureReport,
  PlacementRequest,
  StrategyCapability,
} from '../../ports/backend-admin';
import { RecordsDriver } from '../../ports/records-driver';
import { Placement, TenantScope } from '../../ports/vector.types';
import { AnnStatus, EngineStats } from './embedded.engine-protocol';
import { EnginePool } from './embedded.engine-pool';
import { locate, targetOf, UID } from './embedded.naming';
import { EmbeddedOptions, engineOptions } from './embedded.options';
import { EmbeddedRecords } from './embedded.records';
import { prepareDataDirectory } from './embedded.vacuum';

/**
 * The embedded backend: records durable in SQLite, exact search over in-memory matrices (one
 * per namespace of a tenant) with usearch's SIMD kernels. Strategies: `database` (a file per
 * tenant), `collection` (a table per tenant) and `partition_key` (a shared table per vector
 * space); in each, a record's key is (tenant uid, namespace, id).
 *
 * This facade runs on the main thread: the data plane (`EmbeddedRecords`) and the places
 * (provision, erase) are jobs of the engine workers (`EnginePool`), each call first checked
 * against the names the scope's uid derives (`targetOf`).
 */
export class EmbeddedBackend extends RecordsDriver {
  readonly name = 'embedded' as const;
  readonly capabilities: readonly StrategyCapability[] = [
    { strategy: 'database', limit: null },
    { strategy: 'collection', limit: null },
    { strategy: 'partition_key', limit: null },
  ];

  private readonly engine: EnginePool;
  protected readonly records: EmbeddedRecords;

  constructor(options: EmbeddedOptions) {
    super();
    prepareDataDirectory(options.directory);
    this.engine = new EnginePool(engineOptions(options));
    this.records = new EmbeddedRecords(this.engine);
  }

  plan(request: PlacementRequest): Placement {
    if (!UID.test(request.tenantUid)) throw new Error('tenant uid must be 32 hex characters');
    const location = locate(request.strategy, request.tenantUid, request.space);
    return { backend: 'embedded', strategy: request.strategy, location: { ...location } };
  }

  /** Nothing to count: files and tables are bounded by the disk alone. */
  async checkCapacity(_scope: TenantScope): Promise<void> {}

  async provision(scope: TenantScope): Promise<void> {
    await this.engine.call({ op: 'provision', target: targetOf(scope) });
  }

  /** Erases every namespace of the tenant (the scope's namespace plays no part). */
  async erase(scope: TenantScope): Promise<ErasureReport> {
    return this.engine.call({ op: 'erase', target: targetOf(scope) });
  }

  async health(): Promise<BackendHealth> {
    try {
      await this.engine.health();
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    return this.engine.close();
  }

  /** True while one of the tenant's matrices is held in memory (used by erasure checks). */
  isCached(tenantUid: string): Promise<boolean> {
    return this.engine.isCached(tenantUid);
  }

  /** Per-tenant files open now, summed over the workers (each bounded by `maxOpenFiles`). */
  async openTenantFiles(): Promise<number> {
    return (await this.engine.stats()).openTenantFiles;
  }

  /** Matrix cache and file use, summed over the started workers. */
  /** The state of a namespace's HNSW graph (tests and diagnostics). */
  annStatus(scope: TenantScope): Promise<AnnStatus> {
    return this.engine.annStatus(targetOf(scope));
  }

  stats(): Promise<EngineStats> {
    return this.engine.stats();
  }
}
