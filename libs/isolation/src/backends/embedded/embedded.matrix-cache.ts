import type { RecordScope } from './embedded.record-table';
import { TenantMatrix } from './embedded.tenant-matrix';

/**
 * Where a matrix's rows come from: a tenant's namespace in one table of one file. A tenant
 * moving between two embedded placements (a shared table to its own file) has both places on
 * the same worker at once: keyed by tenant and namespace alone, both places would share one
 * matrix, and a search of one could run on rows loaded from the other.
 */
export interface MatrixPlace extends RecordScope {
  readonly file: string;
  readonly table: string;
}

/**
 * Keeps matrices within a memory budget, evicting the least recently used. There is one matrix
 * per namespace of a tenant in each place it is stored, so a search scans only its namespace's
 * rows; erasure forgets all of a tenant's matrices in the erased place at once. A matrix
 * larger than the whole budget is used for the current call and not kept.
 */
export class MatrixCache {
  private readonly entries = new Map<string, { owner: RecordScope; matrix: TenantMatrix }>();
  /** The cache keys of each tenant's matrices. */
  private readonly byTenant = new Map<string, Set<string>>();
  private used = 0;

  constructor(private readonly budgetBytes: number) {}

  get bytesUsed(): number {
    return this.used;
  }

  /** Tenants with at least one matrix held. */
  get tenants(): number {
    return this.byTenant.size;
  }

  hasTenant(tenantUid: string): boolean {
    return this.byTenant.has(tenantUid);
  }

  /** The budget a single matrix (with its HNSW graph) must fit in to be kept. */
  get budget(): number {
    return this.budgetBytes;
  }

  /** The cached matrix without touching the eviction order (background work uses it). */
  peek(at: MatrixPlace): TenantMatrix | undefined {
    return this.entries.get(placeKeyOf(at))?.matrix;
  }

  get(at: MatrixPlace): TenantMatrix | undefined {
    const key = placeKeyOf(at);
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry?.matrix;
  }

  /** Stores a matrix; returns false when it does not fit in the budget at all. */
  set(at: MatrixPlace, matrix: TenantMatrix): boolean {
    this.delete(at);
    if (matrix.bytes > this.budgetBytes) return false;
    const key = placeKeyOf(at);
    const owner = { tenantUid: at.tenantUid, namespace: at.namespace };
    this.entries.set(key, { owner, matrix });
    let keys = this.byTenant.get(at.tenantUid);
    if (!keys) this.byTenant.set(at.tenantUid, (keys = new Set()));
    keys.add(key);
    this.used += matrix.bytes;
    this.evict(key);
    return true;
  }

  /** Re-accounts a matrix after it changed size in place. */
  resized(at: MatrixPlace, previousBytes: number): void {
    const key = placeKeyOf(at);
    const entry = this.entries.get(key);
    if (!entry) return;
    this.used += entry.matrix.bytes - previousBytes;
    if (entry.matrix.bytes > this.budgetBytes) {
      this.drop(key);
      return;
    }
    this.evict(key);
  }

  delete(at: MatrixPlace): void {
    this.drop(placeKeyOf(at));
  }

  /**
   * Forgets every namespace's matrix of a tenant in one place (erasure), without knowing the
   * namespaces; the tenant's matrices in another place (while it moves) stay.
   */
  deletePlace(at: Omit<MatrixPlace, 'namespace'>): void {
    const prefix = placeKeyOf({ ...at, namespace: '' });
    for (const key of [...(this.byTenant.get(at.tenantUid) ?? [])])
      if (key.startsWith(prefix)) this.drop(key);
  }

  clear(): void {
    this.entries.clear();
    this.byTenant.clear();
    this.used = 0;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.matrix.bytes;
    const keys = this.byTenant.get(entry.owner.tenantUid);
    keys?.delete(key);
    if (keys?.size === 0) this.byTenant.delete(entry.owner.tenantUid);
  }

  private evict(keep: string): void {
    // Deleting the entry being visited is safe while iterating a Map.
    for (const key of this.entries.keys()) {
      if (this.used <= this.budgetBytes) return;
      if (key !== keep) this.drop(key);
    }
  }
}

/**
 * A namespace of a tenant in one place, as a key (the cache's, the graph builds' queue). NUL,
 * which no uid, file, table or namespace name holds, keeps it unambiguous; a place's keys share
 * the prefix of its key with an empty namespace.
 */
export function placeKeyOf(at: MatrixPlace): string {
  return `${at.tenantUid}\u0000${at.file}\u0000${at.table}\u0000${at.namespace}`;
}
