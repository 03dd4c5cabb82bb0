import { Injectable } from '@nestjs/common';
import { CapacityError } from '@vecgate/core';
import { DEFAULT_NAMESPACE, TenantScope } from '@vecgate/isolation';
import { NamespaceRegistry } from '@vecgate/tenancy';
import { StorageUsageTracker } from './storage-usage';

/**
 * Whether a tenant fits the storage quota of the tier it moves to: its vectors, bytes and
 * named namespaces, counted in its current place. A refusal (507 naming the quota) comes
 * before anything of the move is started.
 */
@Injectable()
export class MoveQuota {
  constructor(
    private readonly usage: StorageUsageTracker,
    private readonly namespaces: NamespaceRegistry,
  ) {}

  async admit(scope: TenantScope, tier: string): Promise<void> {
    const named = await this.namespaces.list(scope.tenantUid);
    await this.usage.recount(scope, [DEFAULT_NAMESPACE, ...named.map((e) => e.name)]);
    const view = this.usage.view(scope, tier);
    for (const quota of ['vectors', 'bytes'] as const) {
      const { used, limit } = view[quota];
      if (limit !== null && used > limit) {
        throw new CapacityError(
          `tier ${tier} allows ${limit} ${quota} per tenant; tenant ${scope.tenantId} holds ${used}`,
          `quota_${quota}`,
        );
      }
    }
    const cap = this.usage.quota(tier).namespaces;
    if (named.length > cap) {
      throw new CapacityError(
        `tier ${tier} allows ${cap} namespaces per tenant; tenant ${scope.tenantId} has ${named.length}`,
        'quota_namespaces',
      );
    }
  }
}
