import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import { ConflictError } from '@vecgate/core';
import { MetricName, VectorSpace } from '../../ports/vector.types';
import { qdrantCall } from './qdrant.errors';
import {
  NAMESPACE_FIELD,
  RAW_VECTOR,
  SEARCH_VECTOR,
  TENANT_FIELD,
  vectorsConfig,
} from './qdrant.payload';

/**
 * What a collection is for, which fixes how it is created:
 * - `tenant`: one tenant's own collection;
 * - `shared`: partition_key tenants of one vector space, told apart by the `is_tenant` index
 *   (Qdrant's multitenancy layout: no global HNSW graph, one per tenant via `payload_m`);
 * - `sharded`: partition tenants of one vector space, a custom shard key each;
 * - `grants`: one point per tenant with a live Qdrant token grant (`value_exists` looks there).
 */
export type CollectionKind = 'tenant' | 'shared' | 'sharded' | 'grants';

/** Qdrant's recommended multitenancy HNSW settings for a collection split by `is_tenant`. */
export const SHARED_HNSW = { payload_m: 16, m: 0 } as const;

export function createParams(
  kind: CollectionKind,
  space: VectorSpace,
): Schemas['CreateCollection'] {
  switch (kind) {
    case 'tenant':
      return { vectors: vectorsConfig(space.dimension, space.metric) };
    case 'shared':
      return { vectors: vectorsConfig(space.dimension, space.metric), hnsw_config: SHARED_HNSW };
    case 'sharded':
      return { vectors: vectorsConfig(space.dimension, space.metric), sharding_method: 'custom' };
    case 'grants':
      return { vectors: { size: 1, distance: 'Dot' } };
  }
}

type PayloadIndexes = Readonly<Record<string, Schemas['KeywordIndexParams']>>;

/** A plain keyword index: the namespace field's, whatever the kind of collection. */
const NAMESPACE_INDEX: Schemas['KeywordIndexParams'] = { type: 'keyword' };

/**
 * The payload indexes a collection of `kind` has: the tenant field's (`is_tenant` where
 * several tenants share the collection) and, where records live, the namespace field's.
 */
export function payloadIndexes(kind: CollectionKind): PayloadIndexes {
  const tenant: Schemas['KeywordIndexParams'] = {
    type: 'keyword',
    is_tenant: kind === 'shared' || kind === 'sharded',
  };
  if (kind === 'grants') return { [TENANT_FIELD]: tenant };
  return { [TENANT_FIELD]: tenant, [NAMESPACE_FIELD]: NAMESPACE_INDEX };
}

/** Collection-level operations: create on demand (idempotently), verify, drop, shard keys. */
export class QdrantCollections {
  /** Collections whose namespace index this process has made sure of (see `upgrade`). */
  private readonly indexed = new Map<string, Promise<void>>();

  constructor(private readonly client: QdrantClient) {}

  async exists(name: string): Promise<boolean> {
    const result = await qdrantCall('check a collection', () => this.client.collectionExists(name));
    return result.exists;
  }

  /**
   * Makes sure `name` exists with the vectors, sharding and payload indexes `kind` needs. Safe
   * to repeat after a crash or a concurrent creation, and on a collection made by an earlier
   * release (a missing index is added); an existing collection of another shape is refused
   * rather than used.
   */
  async ensure(name: string, kind: CollectionKind, space: VectorSpace): Promise<void> {
    const wanted = payloadIndexes(kind);
    if (!(await this.exists(name))) {
      try {
        await qdrantCall('create a collection', () =>
          this.client.createCollection(name, createParams(kind, space)),
        );
        await this.createIndexes(name, wanted, {}, true);
        this.indexed.set(name, Promise.resolve());
        return;
      } catch (err) {
        // Another gateway replica may have created it first: then check what it made.
        if (!(await this.exists(name))) throw err;
      }
    }
    const info = await qdrantCall('describe a collection', () => this.client.getCollection(name));
    assertShape(name, kind, space, info);
    await this.createIndexes(name, wanted, info.payload_schema, true);
    this.indexed.set(name, Promise.resolve());
  }

  /**
   * Adds the namespace index to a collection made before namespaces existed, once per
   * collection and process: a data-plane call on a collection this process has not provisioned
   * first looks at its indexes. Qdrant builds the index in the background (no `wait`): filters
   * on the field work meanwhile, only without the index's help.
   */
  async upgrade(name: string): Promise<void> {
    let done = this.indexed.get(name);
    if (!done) {
      done = qdrantCall('describe a collection', () => this.client.getCollection(name)).then(
        (info) =>
          this.createIndexes(
            name,
            { [NAMESPACE_FIELD]: NAMESPACE_INDEX },
            info.payload_schema,
            false,
          ),
      );
      this.indexed.set(name, done);
      // A failure is retried by the next call rather than remembered.
      done.catch(() => this.indexed.delete(name));
    }
    return done;
  }

  /** Drops the collection if it exists; true when it is gone afterwards. */
  async drop(name: string): Promise<boolean> {
    this.indexed.delete(name);
    if (await this.exists(name)) {
      await qdrantCall('delete a collection', () => this.client.deleteCollection(name));
    }
    return !(await this.exists(name));
  }

  /** Names of all collections whose name starts with `prefix`. */
  async named(prefix: string): Promise<string[]> {
    const { collections } = await qdrantCall('list collections', () =>
      this.client.getCollections(),
    );
    return collections.map((c) => c.name).filter((n) => n.startsWith(prefix));
  }

  async shardKeys(name: string): Promise<string[]> {
    const result = await qdrantCall('list shard keys', () => this.client.listShardKeys(name));
    return (result.shard_keys ?? []).map((d) => String(d.key));
  }

  async ensureShardKey(name: string, key: string): Promise<void> {
    if ((await this.shardKeys(name)).includes(key)) return;
    try {
      await qdrantCall('create a shard key', () =>
        this.client.createShardKey(name, { shard_key: key }),
      );
    } catch (err) {
      if (!(await this.shardKeys(name)).includes(key)) throw err;
    }
  }

  /** Deletes the shard key (and every point in its shards) if present. */
  async dropShardKey(name: string, key: string): Promise<boolean> {
    if ((await this.shardKeys(name)).includes(key)) {
      await qdrantCall('delete a shard key', () =>
        this.client.deleteShardKey(name, { shard_key: key }),
      );
    }
    return !(await this.shardKeys(name)).includes(key);
  }

  /** True when Qdrant runs in distributed mode, which custom sharding needs. */
  async distributed(): Promise<boolean> {
    const response = await qdrantCall('read the cluster status', () =>
      this.client.api().clusterStatus({}),
    );
    return response.data.result?.status === 'enabled';
  }

  /** Creates each of `wanted` that `existing` (the collection's payload schema) lacks. */
  private async createIndexes(
    name: string,
    wanted: PayloadIndexes,
    existing: Schemas['CollectionInfo']['payload_schema'],
    wait: boolean,
  ): Promise<void> {
    for (const [field, schema] of Object.entries(wanted)) {
      if (existing[field]) continue;
      await qdrantCall(`create the ${field} index`, () =>
        this.client.createPayloadIndex(name, { field_name: field, field_schema: schema, wait }),
      );
    }
  }
}

function assertShape(
  name: string,
  kind: CollectionKind,
  space: VectorSpace,
  info: Schemas['CollectionInfo'],
): void {
  const params = info.config.params;
  const vectors = (params.vectors ?? {}) as Record<string, Schemas['VectorParams'] | undefined>;
  const problems: string[] = [];
  if (kind === 'grants') {
    const single = params.vectors as Schemas['VectorParams'] | undefined;
    if (single?.size !== 1) problems.push('a single vector of size 1');
  } else {
    const want = createParams(kind, space).vectors as Record<string, Schemas['VectorParams']>;
    for (const vector of [SEARCH_VECTOR, RAW_VECTOR]) {
      const expected = want[vector];
      const actual = vectors[vector];
      if (!expected) continue;
      if (actual?.size !== expected.size || actual.distance !== expected.distance) {
        problems.push(`vector "${vector}" of size ${expected.size} and ${expected.distance}`);
      }
    }
  }
  const custom = params.sharding_method === 'custom';
  if (kind === 'sharded' && !custom) problems.push('custom sharding');
  if (kind !== 'sharded' && custom) problems.push('automatic sharding');
  if (problems.length > 0) {
    throw new ConflictError(
      `Qdrant collection ${name} exists but does not have what ${describe(kind, space.metric, space.dimension)} needs: ${problems.join(', ')}`,
    );
  }
}

function describe(kind: CollectionKind, metric: MetricName, dimension: number): string {
  return kind === 'grants' ? 'the token grants' : `vector space ${dimension}:${metric}`;
}
