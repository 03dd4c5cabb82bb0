import { toScore } from '../../ports/backend-rules';
import { QdrantClient } from '@qdrant/js-client-rest';
import { BadRequestError, CapacityError, ConflictError, UnprocessableError } from '@vecgate/core';
import {
  BackendHealth,
  ErasureReport,
  PlacementRequest,
  StrategyCapability,
} from '../../ports/backend-admin';
import { VectorBackendDriver } from '../../ports/vector-backend.driver';
import {
  CallOptions,
  DeleteSelector,
  Placement,
  ReadOptions,
  ScoredRecord,
  SearchQuery,
  StoredRecord,
  TenantScope,
  VectorWrite,
} from '../../ports/vector.types';
import { abandonOnAbort, assertNotAborted } from '../../ports/call-signal';
import { pointId } from './qdrant.point-id';
import { QdrantCollections } from './qdrant.collections';
import { qdrantCall } from './qdrant.errors';
import { QdrantCondition, QdrantFilter, scopedFilter, translateFilter } from './qdrant.filter';
import { QdrantGrants } from './qdrant.grants';
import {
  fromPoint,
  payloadSelector,
  SEARCH_VECTOR,
  toPoint,
  QDRANT_SCORES,
  vectorSelector,
} from './qdrant.payload';
import { locationRecord, QdrantLocation, QdrantPlacements } from './qdrant.naming';
import { QdrantPoints, shardSelector } from './qdrant.points';
import { QDRANT_ACCESS, qdrantTokenClaims, QdrantAccess, signQdrantToken } from './qdrant.token';
import {
  GRANTS_COLLECTION,
  qdrantOptionProblems,
  QdrantOptions,
  TENANT_COLLECTION_PREFIX,
} from './qdrant.options';

export interface QdrantTokenRequest {
  readonly access: QdrantAccess;
  readonly ttlSeconds: number;
  /** Epoch seconds the token must not outlive (the minter's own expiry). */
  readonly notAfter?: number;
}

export interface MintedQdrantToken {
  readonly token: string;
  readonly expiresAt: string;
  readonly collection: string;
  readonly url: string;
}

/**
 * The Qdrant backend. Strategies: `collection` (a collection per tenant), `partition_key` (a
 * shared collection per vector space with an `is_tenant` keyword index) and `partition` (a
 * custom-sharded collection per vector space, one shard key per tenant; distributed mode).
 *
 * Whatever the strategy, every point carries the tenant uid in `_vg_tenant` and every read,
 * count and delete filters on it with a `must` condition; point ids are UUIDv5 hashes of
 * (tenant uid, caller's id); writes wait for Qdrant to apply them (`wait=true`), so an
 * acknowledged write is visible to the next read on the same node.
 */
export class QdrantBackend extends VectorBackendDriver {
  readonly name = 'qdrant' as const;
  readonly capabilities: readonly StrategyCapability[];

  private readonly client: QdrantClient;
  private readonly collections: QdrantCollections;
  private readonly points: QdrantPoints;
  private readonly grants: QdrantGrants;
  private readonly placements: QdrantPlacements;

  constructor(
    private readonly options: QdrantOptions,
    client?: QdrantClient,
  ) {
    super();
    const problems = qdrantOptionProblems(options);
    if (problems.length > 0) throw new Error(`invalid Qdrant options: ${problems.join('; ')}`);
    this.capabilities = [
      { strategy: 'collection', limit: options.maxCollections, limitName: 'collections' },
      { strategy: 'partition_key', limit: null },
      { strategy: 'partition', limit: options.maxShardKeys, limitName: 'shard keys' },
    ];
    this.client =
      client ??
      new QdrantClient({
        url: options.url,
        timeout: options.timeoutMs,
        // The key goes in a header of our own rather than `apiKey`, which only adds a console
        // warning on plain http (a private network next to the gateway is a normal setup).
        headers: options.apiKey ? { 'api-key': options.apiKey } : {},
        // The version check is a request fired from the constructor whose failure only logs;
        // health() reports reachability instead.
        checkCompatibility: false,
      });
    this.collections = new QdrantCollections(this.client);
    this.points = new QdrantPoints(this.client);
    this.grants = new QdrantGrants(this.collections, this.points);
    this.placements = new QdrantPlacements(options);
  }

  // --- control plane ---------------------------------------------------------------------------

  plan(request: PlacementRequest): Placement {
    const location = this.placements.locate(request.strategy, request.tenantUid, request.space);
    return { backend: 'qdrant', strategy: request.strategy, location: locationRecord(location) };
  }

  async checkCapacity(scope: TenantScope): Promise<void> {
    const { placement, space } = scope;
    switch (placement.strategy) {
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
        const collection = placement.location.collection;
        if (!collection) throw new Error('a partition placement needs a collection');
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
      case 'database':
      case 'namespace':
      case 'dedicated_index':
        throw new Error(`Qdrant has no ${placement.strategy} strategy`);
    }
  }

  async provision(scope: TenantScope): Promise<void> {
    const location = this.placements.location(scope);
    switch (location.strategy) {
      case 'collection':
        return this.collections.ensure(location.collection, 'tenant', scope.space);
      case 'partition_key':
        return this.collections.ensure(location.collection, 'shared', scope.space);
      case 'partition':
        await this.assertDistributed();
        await this.collections.ensure(location.collection, 'sharded', scope.space);
        await this.collections.ensureShardKey(location.collection, shardKeyOf(location));
        return;
    }
  }

  async erase(scope: TenantScope): Promise<ErasureReport> {
    const location = this.placements.location(scope);
    const uid = scope.tenantUid;
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
        const all = scopedFilter(uid);
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
        const remaining = await this.points.deleteAndVerify(everywhere, scopedFilter(uid));
        return { places: [{ place, remaining: remaining + (gone ? 0 : 1) }] };
      }
    }
  }

  async health(): Promise<BackendHealth> {
    try {
      // An authenticated call (/, /healthz and /readyz skip the API key), cheap at any size.
      const distributed = await this.collections.distributed();
      return { ok: true, detail: distributed ? 'distributed mode' : 'standalone' };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  // --- data plane ------------------------------------------------------------------------------

  async upsert(
    scope: TenantScope,
    records: readonly VectorWrite[],
    call?: CallOptions,
  ): Promise<{ upserted: number }> {
    assertNotAborted(call);
    const location = this.placements.location(scope);
    const { metric, dimension } = scope.space;
    const points = records.map((r) =>
      toPoint(scope.tenantUid, metric, r.id, pointId(scope.tenantUid, r.id), r),
    );
    // Cosine points send their values twice (the searched vector and the raw copy).
    const valuesPerPoint = dimension * (metric === 'cosine' ? 2 : 1);
    await this.points.upsert(location, points, valuesPerPoint, 'upsert points', call);
    return { upserted: records.length };
  }

  async fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
    call?: CallOptions,
  ): Promise<StoredRecord[]> {
    const location = this.placements.location(scope);
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    // A scroll, not a retrieve by id: a retrieve cannot carry the tenant condition.
    const result = await abandonOnAbort(call, () =>
      qdrantCall('read points', () =>
        this.client.scroll(location.collection, {
          filter: scopedFilter(scope.tenantUid, {
            has_id: unique.map((id) => pointId(scope.tenantUid, id)),
          }),
          limit: unique.length,
          with_payload: payloadSelector(options),
          with_vector: vectorSelector(options, scope.space.metric),
          ...shardSelector(location),
        }),
      ),
    );
    return result.points.map((point) => fromPoint(point, options, scope.space.metric));
  }

  async search(
    scope: TenantScope,
    query: SearchQuery,
    call?: CallOptions,
  ): Promise<ScoredRecord[]> {
    const location = this.placements.location(scope);
    const filter = this.withUserFilter(scope, query.filter);
    if (!filter) return [];
    const result = await abandonOnAbort(call, () =>
      qdrantCall('search', () =>
        this.client.query(location.collection, {
          query: Array.from(query.vector),
          using: SEARCH_VECTOR,
          filter,
          limit: query.topK,
          with_payload: payloadSelector(query),
          with_vector: vectorSelector(query, scope.space.metric),
          ...shardSelector(location),
        }),
      ),
    );
    return result.points.map((point) => ({
      ...fromPoint(point, query, scope.space.metric),
      score: toScore(QDRANT_SCORES, scope.space.metric, point.score),
    }));
  }

  async count(scope: TenantScope, call?: CallOptions): Promise<number> {
    const location = this.placements.location(scope);
    return abandonOnAbort(call, () => this.points.count(location, scopedFilter(scope.tenantUid)));
  }

  async delete(
    scope: TenantScope,
    selector: DeleteSelector,
    call?: CallOptions,
  ): Promise<{ deleted: number }> {
    assertNotAborted(call);
    const location = this.placements.location(scope);
    let filter: QdrantFilter | null;
    switch (selector.kind) {
      case 'ids': {
        const unique = [...new Set(selector.ids)];
        if (unique.length === 0) return { deleted: 0 };
        filter = scopedFilter(scope.tenantUid, {
          has_id: unique.map((id) => pointId(scope.tenantUid, id)),
        });
        break;
      }
      case 'filter':
        filter = this.withUserFilter(scope, selector.filter);
        break;
      case 'all':
        filter = scopedFilter(scope.tenantUid);
        break;
    }
    if (!filter) return { deleted: 0 };
    // Qdrant does not say how many points a delete removed: count them first (with the same
    // filter). A concurrent write between the two calls can make the count approximate.
    const deleted = await this.points.count(location, filter);
    if (deleted > 0) await this.points.deleteWhere(location, filter);
    return { deleted };
  }

  // --- scoped Qdrant tokens --------------------------------------------------------------------

  /**
   * A Qdrant JWT for one collection-strategy tenant: `r` or `rw` on its collection only, an
   * `exp` within QDRANT_TOKEN_MAX_TTL (and the minter's own expiry), and a `value_exists`
   * condition on the tenant's grant point, which erasing the tenant deletes first.
   */
  async mintToken(scope: TenantScope, request: QdrantTokenRequest): Promise<MintedQdrantToken> {
    const location = this.placements.location(scope);
    if (location.strategy !== 'collection') {
      throw new ConflictError(
        `tenant ${scope.tenantId} uses the ${location.strategy} strategy, in a collection shared with other tenants: a Qdrant token cannot be restricted to one tenant there (only collection-strategy tenants can have one)`,
      );
    }
    const apiKey = this.options.apiKey;
    if (!apiKey) {
      throw new ConflictError(
        'Qdrant tokens cannot be minted: QDRANT_API_KEY (the key Qdrant verifies them with) is not configured',
      );
    }
    if (!QDRANT_ACCESS.includes(request.access)) {
      throw new BadRequestError(`access must be one of ${QDRANT_ACCESS.join(', ')}`, 'access');
    }
    const now = Math.floor(Date.now() / 1000);
    const ttlSeconds = request.ttlSeconds;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new BadRequestError('ttlSeconds must be a positive integer', 'ttlSeconds');
    }
    if (ttlSeconds > this.options.tokenMaxTtlSeconds) {
      throw new BadRequestError(
        `ttlSeconds must be at most ${this.options.tokenMaxTtlSeconds} (QDRANT_TOKEN_MAX_TTL)`,
        'ttlSeconds',
      );
    }
    if (request.notAfter !== undefined && now + ttlSeconds > request.notAfter) {
      throw new BadRequestError(
        `ttlSeconds must not outlive the minter's own token (${Math.max(0, request.notAfter - now)} s left)`,
        'ttlSeconds',
      );
    }
    await this.grants.grant(scope.tenantUid, location.collection);
    const claims = qdrantTokenClaims(
      {
        tenantId: scope.tenantId,
        tenantUid: scope.tenantUid,
        collection: location.collection,
        grantsCollection: GRANTS_COLLECTION,
        access: request.access,
        ttlSeconds,
      },
      now,
    );
    return {
      token: signQdrantToken(claims, apiKey),
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      collection: location.collection,
      url: this.options.publicUrl ?? this.options.url,
    };
  }

  // --- helpers -----------------------------------------------------------------------------------

  private withUserFilter(scope: TenantScope, filter: SearchQuery['filter']): QdrantFilter | null {
    if (!filter) return scopedFilter(scope.tenantUid);
    const user: QdrantCondition | null = translateFilter(filter);
    return user === null ? null : scopedFilter(scope.tenantUid, user);
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
