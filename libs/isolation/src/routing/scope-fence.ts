import { Injectable } from '@nestjs/common';
import { ConflictError } from '@vecgate/core';

/**
 * Tenants whose erasure has begun, and the store calls still running for each tenant.
 *
 * A request that resolved its tenant just before the delete must not write into places being
 * erased (or re-create a per-tenant file), so calls for a fenced uid are refused; and a call
 * admitted just before the fence closed must finish before the erasure starts, or a late
 * write to a remote backend would land after the erasure was verified. Uids are never reused,
 * so fences never lift.
 */
@Injectable()
export class ScopeFence {
  private readonly fenced = new Set<string>();
  private readonly running = new Map<string, number>();
  private readonly idle = new Map<string, (() => void)[]>();

  assertOpen(tenantUid: string): void {
    if (this.fenced.has(tenantUid)) throw new ConflictError('the tenant is being deleted');
  }

  /** Runs a store call for the tenant unless its erasure has begun; erasure waits for it. */
  async admit<T>(tenantUid: string, call: () => Promise<T>): Promise<T> {
    this.assertOpen(tenantUid);
    this.running.set(tenantUid, (this.running.get(tenantUid) ?? 0) + 1);
    try {
      return await call();
    } finally {
      const left = (this.running.get(tenantUid) ?? 1) - 1;
      if (left > 0) {
        this.running.set(tenantUid, left);
      } else {
        this.running.delete(tenantUid);
        for (const wake of this.idle.get(tenantUid) ?? []) wake();
        this.idle.delete(tenantUid);
      }
    }
  }

  /**
   * Closes the fence and resolves true once no admitted call for the tenant is running, or
   * false when some are still running after `timeoutMs`.
   */
  close(tenantUid: string, timeoutMs: number): Promise<boolean> {
    this.fenced.add(tenantUid);
    if (!this.running.has(tenantUid)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idle.set(tenantUid, [...(this.idle.get(tenantUid) ?? []), wake]);
    });
  }
}
