import { QdrantClient } from '@qdrant/js-client-rest';
import {
  BackendHealth,
  ErasureReport,
  PlacementRequest,
  StrategyCapability,
} from '../../ports/backend-admin';
import { RecordsDriver } from '../../ports/records-driver';
import { Placement, TenantScope } from '../../ports/vector.types';
import { QdrantCollections } from './qdrant.collections';
import { QdrantGrants } from './qdrant.grants';
import { locationRecord, QdrantPlacements } from './qdrant.naming';
import { QdrantOptions } from './qdrant.options';
import { QdrantPlaces } from './qdrant.places';
import { QdrantPoints } from './qdrant.points';
import { QdrantRecords } from './qdrant.records';
import { MintedQdrantToken, QdrantTokenMinter, QdrantTokenRequest } from './qdrant.token-minter';

export type { MintedQdrantToken, QdrantTokenRequest } from './qdrant.token-minter';

/**
 * The Qdrant backend. Strategies: `collection` (a collection per tenant), `partition_key` (a
 * shared collection per vector space with an `is_tenant` keyword index) and `partition` (a
 * custom-sharded collection per vector space, one shard key per tenant; distributed mode).
 *
 * Whatever the strategy, every point carries the tenant uid in `_vg_tenant` and its namespace
 * in `_vg_ns`, and every read, count and delete filters on both with `must` conditions; point
 * ids are UUIDv5 hashes of (tenant uid, namespace, caller's id); erasure removes every
 * namespace by the tenant condition alone; writes wait for Qdrant to apply them (`wait=true`), so an
 * acknowledged write is visible to the next read on the same node. Every call first checks
 * the scope's placement against the names its uid derives (`QdrantPlacements.location`).
 */
export class QdrantBackend extends RecordsDriver {
  readonly name = 'qdrant' as const;
  readonly capabilities: readonly StrategyCapability[];

  private readonly collections: QdrantCollections;
  private readonly placements: QdrantPlacements;
  private readonly places: QdrantPlaces;
  protected readonly records: QdrantRecords;
  private readonly minter: QdrantTokenMinter;

  constructor(options: QdrantOptions, client?: QdrantClient) {
    super();
    // The options were validated once, when the configuration was read (qdrantOptionProblems).
    this.capabilities = [
      { strategy: 'collection', limit: options.maxCollections, limitName: 'collections' },
      { strategy: 'partition_key', limit: null },
      { strategy: 'partition', limit: options.maxShardKeys, limitName: 'shard keys' },
    ];
    const qdrant =
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
    this.collections = new QdrantCollections(qdrant);
    const points = new QdrantPoints(qdrant);
    const grants = new QdrantGrants(this.collections, points);
    this.placements = new QdrantPlacements(options);
    this.places = new QdrantPlaces(options, this.collections, points, grants);
    this.records = new QdrantRecords(qdrant, this.collections, points, this.placements);
    this.minter = new QdrantTokenMinter(options, grants);
  }

  // --- control plane ---------------------------------------------------------------------------

  plan(request: PlacementRequest): Placement {
    const location = this.placements.locate(request.strategy, request.tenantUid, request.space);
    return { backend: 'qdrant', strategy: request.strategy, location: locationRecord(location) };
  }

  async checkCapacity(scope: TenantScope): Promise<void> {
    return this.places.checkCapacity(scope, this.placements.location(scope));
  }

  async provision(scope: TenantScope): Promise<void> {
    return this.places.provision(this.placements.location(scope), scope.space);
  }

  async erase(scope: TenantScope): Promise<ErasureReport> {
    return this.places.erase(this.placements.location(scope), scope.tenantUid);
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

  // --- scoped Qdrant tokens --------------------------------------------------------------------

  /** A Qdrant JWT for one collection-strategy tenant (see `QdrantTokenMinter`). */
  async mintToken(scope: TenantScope, request: QdrantTokenRequest): Promise<MintedQdrantToken> {
    return this.minter.mint(scope, this.placements.location(scope), request);
  }

  /** Revokes every Qdrant token of the tenant (its grant goes); throws unless verified. */
  async revokeTokens(scope: TenantScope): Promise<void> {
    const left = (await this.minter.revokeAll(scope.tenantUid)).filter((p) => p.remaining > 0);
    if (left.length > 0) throw new Error(`the Qdrant token grant of ${scope.tenantId} remains`);
  }
}
