import { UnprocessableError } from '@vecgate/core';
import {
  isStoredNamespace,
  StrategyName,
  TenantScope,
  VectorSpace,
} from '../../ports/vector.types';
import { QdrantOptions, QdrantSpaceCollection, TENANT_COLLECTION_PREFIX } from './qdrant.options';
import { TENANT_UID as UID } from '../../ports/backend-rules';

export type QdrantStrategy = 'collection' | 'partition_key' | 'partition';

export interface QdrantLocation {
  readonly strategy: QdrantStrategy;
  readonly collection: string;
  /** `partition` only: the tenant's custom shard key. */
  readonly shardKey?: string;
}

/** Physical names of Qdrant tenants: deterministic from the uid, strategy and vector space. */
export class QdrantPlacements {
  private readonly shared: ReadonlyMap<string, string>;
  private readonly sharded: ReadonlyMap<string, string>;

  constructor(options: Pick<QdrantOptions, 'sharedCollections' | 'shardedCollections'>) {
    this.shared = byPair(options.sharedCollections);
    this.sharded = byPair(options.shardedCollections);
  }

  /** Collections shared by partition_key tenants, and custom-sharded ones of partition tenants. */
  sharedCollectionNames(): string[] {
    return [...this.shared.values(), ...this.sharded.values()];
  }

  locate(strategy: StrategyName, tenantUid: string, space: VectorSpace): QdrantLocation {
    if (!UID.test(tenantUid)) throw new Error('tenant uid must be 32 lowercase hex characters');
    switch (strategy) {
      case 'collection':
        return { strategy, collection: `${TENANT_COLLECTION_PREFIX}${tenantUid}` };
      case 'partition_key':
        return {
          strategy,
          collection: this.mapped(this.shared, space, 'QDRANT_SHARED_COLLECTIONS'),
        };
      case 'partition':
        return {
          strategy,
          collection: this.mapped(this.sharded, space, 'QDRANT_SHARDED_COLLECTIONS'),
          shardKey: tenantUid,
        };
      case 'database':
      case 'namespace':
      case 'dedicated_index':
        throw new UnprocessableError(`backend qdrant has no ${strategy} strategy`, 'strategy');
    }
  }

  /**
   * The scope's location, recomputed and compared with what the registry stored: a scope
   * whose names do not match its uid, strategy and space, or whose namespace is neither the
   * default nor a valid name, never reaches Qdrant.
   */
  location(scope: TenantScope): QdrantLocation {
    if (scope.placement.backend !== 'qdrant') {
      throw new Error(`tenant ${scope.tenantId} is not placed on qdrant`);
    }
    if (!isStoredNamespace(scope.namespace)) {
      throw new Error(`the scope of tenant ${scope.tenantId} has an invalid namespace`);
    }
    const expected = this.locate(scope.placement.strategy, scope.tenantUid, scope.space);
    const stored = scope.placement.location;
    if (stored.collection !== expected.collection || stored.shardKey !== expected.shardKey) {
      throw new Error(
        `placement of tenant ${scope.tenantId} does not match its uid, strategy and vector space (was a shared collection remapped?)`,
      );
    }
    return expected;
  }

  private mapped(map: ReadonlyMap<string, string>, space: VectorSpace, setting: string): string {
    const pair = `${space.dimension}:${space.metric}`;
    const collection = map.get(pair);
    if (!collection) {
      throw new UnprocessableError(
        `no Qdrant collection is configured for vector space ${pair} (dimension ${space.dimension}, metric ${space.metric}); add ${pair}=<collection> to ${setting}`,
        'dimension',
      );
    }
    return collection;
  }
}

function byPair(list: readonly QdrantSpaceCollection[]): Map<string, string> {
  return new Map(list.map((entry) => [`${entry.dimension}:${entry.metric}`, entry.collection]));
}

/** The stored form of a location (`Placement.location` holds strings only). */
export function locationRecord(location: QdrantLocation): Record<string, string> {
  return location.shardKey === undefined
    ? { collection: location.collection }
    : { collection: location.collection, shardKey: location.shardKey };
}
