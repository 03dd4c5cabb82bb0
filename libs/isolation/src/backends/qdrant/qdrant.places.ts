import { CapacityError, UnprocessableError } from '@vecgate/core';
import { ErasureReport } from '../../ports/backend-admin';
import { TenantScope, VectorSpace } from '../../ports/vector.types';
import { QdrantCollections } from './qdrant.collections';
import { QdrantGrants } from './qdrant.grants';
import { QdrantLocation } from './qdrant.naming';
import { QdrantOptions, TENANT_COLLECTION_PREFIX } from './qdrant.options';
import { QdrantPoints } from './qdrant.points';
import { tenantFilter } from './qdrant.scope';

/** A tenant's Qdrant places: capacity before creation, provisioning, erasure. */
export class QdrantPlaces {
  constructor(
    private readonly options: QdrantOptions,
    private readonly collections: QdrantCollections,
    private readonly points: QdrantPoints,
    private readonly grants: QdrantGrants,
  ) {}

  async checkCapacity(scope: TenantScope, location: QdrantLocation): Promise<void> {
    const { space } = scope;
    switch (location.strategy) {
      case 'collection': {
        const used = (await this.collections.named(TENANT_COLLECTION_PREFIX)).length;
        if (used >= this.options.maxCollections) {
          throw new CapacityError(
            `Qdrant already holds ${used} tenant collections, the configured maximum (QDRANT_MAX_COLLECTIONS)`,
            'collections',
          );
        }
        return;
      }
      case 'partition': {
        await this.assertDistributed();
        const collection = location.collection;
        if (!(await this.collections.exists(collection))) return;
        const used = (await this.collections.shardKeys(collection)).length;
        if (used >= this.options.maxShardKeys) {
          throw new CapacityError(
            `Qdrant collection ${collection} already holds ${used} tenant shard keys, the configured maximum (QDRANT_MAX_SHARD_KEYS) for ${space.dimension}:${space.metric}`,
            'shard_keys',
          );
        }
        return;
      }
      case 'partition_key':
        // One shared collection per vector space: a tenant adds no collection or shard key.
        return;
    }
  }

  async provision(location: QdrantLocation, space: VectorSpace): Promise<void> {
    switch (location.strategy) {
      case 'collection':
        return this.collections.ensure(location.collection, 'tenant', space);
      case 'partition_key':
        return this.collections.ensure(location.collection, 'shared', space);
      case 'partition':
        await this.assertDistributed();
        await this.collections.ensure(location.collection, 'sharded', space);
        await this.collections.ensureShardKey(location.collection, shardKeyOf(location));
        return;
    }
  }

  async erase(location: QdrantLocation, uid: string): Promise<ErasureReport> {
    switch (location.strategy) {
      case 'collection': {
        // Revoke minted Qdrant tokens first, so nobody reads the collection while it goes.
        const grants = await this.grants.revoke(uid);
        const gone = await this.collections.drop(location.collection);
        return {
          places: [...grants, { place: `qdrant:${location.collection}`, remaining: gone ? 0 : 1 }],
        };
      }
      case 'partition_key': {
        if (!(await this.collections.exists(location.collection))) {
          return { places: [{ place: `qdrant:${location.collection}`, remaining: 0 }] };
        }
        // The tenant condition alone: every namespace goes, without a list of them.
        const all = tenantFilter(uid);
        await this.points.deleteWhere(location, all);
        const remaining = await this.points.count(location, all);
        return { places: [{ place: `qdrant:${location.collection}`, remaining }] };
      }
      case 'partition': {
        const key = shardKeyOf(location);
        const place = `qdrant:${location.collection}/${key}`;
        if (!(await this.collections.exists(location.collection))) {
          return { places: [{ place, remaining: 0 }] };
        }
        const gone = await this.collections.dropShardKey(location.collection, key);
        // Then across every shard, not only the deleted key's: no point of the tenant may
        // remain anywhere in the collection, however it got there.
        const everywhere: QdrantLocation = { ...location, shardKey: undefined };
        const remaining = await this.points.deleteAndVerify(everywhere, tenantFilter(uid));
        return { places: [{ place, remaining: remaining + (gone ? 0 : 1) }] };
      }
    }
  }

  private async assertDistributed(): Promise<void> {
    if (!(await this.collections.distributed())) {
      throw new UnprocessableError(
        `the partition strategy needs Qdrant in distributed mode (custom shard keys), but this Qdrant server runs standalone: enable cluster mode (QDRANT__CLUSTER__ENABLED=true) or use the partition_key strategy`,
        'strategy',
      );
    }
  }
}

function shardKeyOf(location: QdrantLocation): string {
  if (!location.shardKey) throw new Error(`no shard key in the ${location.strategy} placement`);
  return location.shardKey;
}
