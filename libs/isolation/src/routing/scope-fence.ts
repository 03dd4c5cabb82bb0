import { Injectable } from '@nestjs/common';
import { ConflictError } from '@vecgate/core';
import { placeKey, TenantScope } from '../ports/vector.types';

/**
 * Tenants whose erasure has begun, places being retired, and the store calls still running in
 * each place of a tenant.
 *
 * A request that resolved its tenant just before the delete must not write into places being
 * erased (or re-create a per-tenant file), so calls for a fenced uid are refused; and a call
 * admitted just before the fence closed must finish before the erasure starts, or a late
 * write to a remote backend would land after the erasure was verified. Uids are never reused,
 * so those fences never lift. A place a migration left is retired alone: the tenant goes on
 * being served in its new place, and the place reopens only when a later migration comes back
 * to it.
 */
@Injectable()
export class ScopeFence {
  private readonly fenced = new Set<string>();
  private readonly retired = new Set<string>();
  private readonly running = new Map<string, number>();
  private readonly idle = new Map<string, (() => void)[]>();

  assertOpen(tenantUid: string): void {
    if (this.fenced.has(tenantUid)) throw new ConflictError('the tenant is being deleted');
  }

  /** Whether a migration is erasing the scope's place. */
  isRetired(scope: TenantScope): boolean {
    return this.retired.has(placeKey(scope.tenantUid, scope.placement));
  }

  /** Runs a store call in the scope's place unless its erasure has begun; erasure waits for it. */
  async admit<T>(scope: TenantScope, call: () => Promise<T>): Promise<T> {
    this.assertOpen(scope.tenantUid);
    const key = placeKey(scope.tenantUid, scope.placement);
    if (this.retired.has(key)) throw new ConflictError('the tenant has moved; retry');
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    try {
      return await call();
    } finally {
      const left = (this.running.get(key) ?? 1) - 1;
      if (left > 0) {
        this.running.set(key, left);
      } else {
        this.running.delete(key);
        for (const wake of this.idle.get(key) ?? []) wake();
        this.idle.delete(key);
      }
    }
  }

  /**
   * Closes the tenant's fence for good and resolves true once no admitted call in the scope's
   * place is running, or false when some still are after `timeoutMs`.
   */
  close(scope: TenantScope, timeoutMs: number): Promise<boolean> {
    this.fenced.add(scope.tenantUid);
    return this.drained(placeKey(scope.tenantUid, scope.placement), timeoutMs);
  }

  /**
   * Closes one place of the tenant (a migration left it) until `reopen` (a migration back to
   * it provisions it again); drains it like `close`.
   */
  retire(scope: TenantScope, timeoutMs: number): Promise<boolean> {
    const key = placeKey(scope.tenantUid, scope.placement);
    this.retired.add(key);
    return this.drained(key, timeoutMs);
  }

  reopen(scope: TenantScope): void {
    this.retired.delete(placeKey(scope.tenantUid, scope.placement));
  }

  private drained(key: string, timeoutMs: number): Promise<boolean> {
    if (!this.running.has(key)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idle.set(key, [...(this.idle.get(key) ?? []), wake]);
    });
  }
}
