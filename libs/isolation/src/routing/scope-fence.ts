import { Injectable } from '@nestjs/common';
import { ConflictError } from '@vecgate/core';

/**
 * Tenants whose erasure has begun. A request that resolved its tenant just before the delete
 * must not write into places being erased (or re-create a per-tenant file), so the routing
 * store refuses any call for a fenced uid. Uids are never reused, so fences never lift.
 */
@Injectable()
export class ScopeFence {
  private readonly fenced = new Set<string>();

  close(tenantUid: string): void {
    this.fenced.add(tenantUid);
  }

  assertOpen(tenantUid: string): void {
    if (this.fenced.has(tenantUid)) throw new ConflictError('the tenant is being deleted');
  }
}
