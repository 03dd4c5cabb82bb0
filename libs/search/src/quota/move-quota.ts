import { Injectable } from '@nestjs/common';
import { CapacityError } from '@vecgate/core';
import { BackendName, DEFAULT_NAMESPACE, TenantScope, TenantVectorStore } from '@vecgate/isolation';
import { NamespaceRegistry, scopeInNamespace } from '@vecgate/tenancy';
import { metadataBytes } from '../validation/record-input';
import { metadataLimitOf } from './storage-quota';
import { StorageUsageTracker } from './storage-usage';

/** Records read per page when a move checks each record's metadata against the target. */
const METADATA_PAGE = 200;

/** Where a tenant goes: the tier it will have and the backend of its new place. */
export interface MoveTarget {
  readonly fromTier: string;
  readonly tier: string;
  readonly backend: BackendName;
}

/**
 * Whether a tenant fits where it moves: the storage quota of the target tier (its vectors,
 * bytes and named namespaces, counted in its current place) and the metadata limit of one
 * record there (the target tier's, within what the target backend can store). A refusal
 * (507 naming the limit) comes before anything of the move is started.
 */
@Injectable()
export class MoveQuota {
  constructor(
    private readonly usage: StorageUsageTracker,
    private readonly namespaces: NamespaceRegistry,
    private readonly store: TenantVectorStore,
  ) {}

  async admit(scope: TenantScope, target: MoveTarget): Promise<void> {
    const { tier } = target;
    const named = await this.namespaces.list(scope.tenantUid);
    const names = [DEFAULT_NAMESPACE, ...named.map((e) => e.name)];
    await this.usage.recount(scope, names);
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
    await this.metadataFits(scope, names, target);
  }

  /**
   * Every record's metadata within the target's per-record limit. Records were admitted under
   * the current limit, so only a smaller target limit needs them read, page by page.
   */
  private async metadataFits(
    scope: TenantScope,
    names: readonly string[],
    target: MoveTarget,
  ): Promise<void> {
    const now = this.usage.metadataLimit(scope, target.fromTier);
    const then = metadataLimitOf(this.usage.quota(target.tier), target.tier, target.backend);
    if (then.bytes >= now.bytes) return;
    for (const name of names) {
      const inName = scopeInNamespace(scope, name);
      let cursor: string | undefined;
      do {
        const page = await this.store.list(inName, {
          limit: METADATA_PAGE,
          ...(cursor !== undefined ? { cursor } : {}),
          includeValues: false,
          includeMetadata: true,
        });
        for (const record of page.records) {
          if (record.tenantUid !== scope.tenantUid) continue;
          const size = metadataBytes(record.metadata);
          if (size > then.bytes) {
            throw new CapacityError(
              `record "${record.id}" of namespace "${name}" carries ${size} bytes of metadata; ` +
                `on ${target.backend} ${then.setBy} allows ${then.bytes} bytes per record`,
              'metadata_bytes',
            );
          }
        }
        cursor = page.next;
      } while (cursor !== undefined);
    }
  }
}
