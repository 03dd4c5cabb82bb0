import { TenantMatrix } from './embedded.tenant-matrix';

/**
 * Keeps tenant matrices within a memory budget, evicting the least recently used. A matrix
 * larger than the whole budget is used for the current call and not kept.
 */
export class MatrixCache {
  private readonly entries = new Map<string, TenantMatrix>();
  private used = 0;

  constructor(private readonly budgetBytes: number) {}

  get bytesUsed(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  has(tenantUid: string): boolean {
    return this.entries.has(tenantUid);
  }

  get(tenantUid: string): TenantMatrix | undefined {
    const entry = this.entries.get(tenantUid);
    if (entry) {
      this.entries.delete(tenantUid);
      this.entries.set(tenantUid, entry);
    }
    return entry;
  }

  /** Stores a matrix; returns false when it does not fit in the budget at all. */
  set(tenantUid: string, matrix: TenantMatrix): boolean {
    this.delete(tenantUid);
    if (matrix.bytes > this.budgetBytes) return false;
    this.entries.set(tenantUid, matrix);
    this.used += matrix.bytes;
    this.evict(tenantUid);
    return true;
  }

  /** Re-accounts a matrix after it changed size in place. */
  resized(tenantUid: string, previousBytes: number): void {
    const entry = this.entries.get(tenantUid);
    if (!entry) return;
    this.used += entry.bytes - previousBytes;
    if (entry.bytes > this.budgetBytes) {
      this.delete(tenantUid);
      return;
    }
    this.evict(tenantUid);
  }

  delete(tenantUid: string): void {
    const entry = this.entries.get(tenantUid);
    if (!entry) return;
    this.entries.delete(tenantUid);
    this.used -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }

  private evict(keep: string): void {
    for (const [uid, entry] of this.entries) {
      if (this.used <= this.budgetBytes) return;
      if (uid === keep) continue;
      this.entries.delete(uid);
      this.used -= entry.bytes;
    }
  }
}
