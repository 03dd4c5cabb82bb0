import { RawScores, toScore } from '../../ports/backend-rules';
import type { PineconeRecord } from '@pinecone-database/pinecone';
import { BackendError, CapacityError } from '@vecgate/core';
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
  FilterNode,
  Placement,
  ReadOptions,
  ScoredRecord,
  SearchQuery,
  StoredRecord,
  TenantScope,
  VectorWrite,
} from '../../ports/vector.types';
import { abandonOnAbort, assertNotAborted } from '../../ports/call-signal';
import { PineconeClients } from './pinecone.clients';
import { DedicatedIndexes, sleep } from './pinecone.dedicated';
import { guarded } from './pinecone.errors';
import { NOTHING, tenantFilter } from './pinecone.filter';
import { decodeMetadata, encodeMetadata, storedTenant } from './pinecone.metadata';
import {} from './pinecone.naming';
import { PineconePlace, PineconePlaces } from './pinecone.placement';
import { EnvFileSecretProvider, PineconeSecretProvider } from './pinecone.secrets';
import { TenantIndex } from './pinecone.tenant-index';
import { PineconeOptions, PineconeSharedIndex } from './pinecone.options';

/** Matches a filtered delete collects per query (Pinecone's top-k bound with metadata). */
const DELETE_PAGE = 1000;
/** Bound on the rounds of a filtered delete (a million records at one page per round). */
const DELETE_ROUNDS = 1000;

export interface PineconeBackendDeps {
  /** Per-tenant API keys; by default the environment or mounted secret files. */
  readonly secrets?: PineconeSecretProvider;
  /** The fetch under the Pinecone client (the global one by default). */
  readonly fetch?: typeof fetch;
}

/**
 * The Pinecone backend. `namespace`: a shared index per (dimension, metric), a namespace per
 * tenant. `dedicated_index`: an index per tenant, in the gateway's project or the tenant's own.
 * In both, every data-plane call names the tenant's namespace (never the default one), every
 * record carries the tenant uid in its metadata, every query filter starts with the tenant
 * condition, and reads report the uid read back from storage.
 */
export class PineconeBackend extends VectorBackendDriver {
  readonly name = 'pinecone' as const;
  readonly capabilities: readonly StrategyCapability[];
  /** Exposed for tests: clients and handles must not multiply with requests. */
  readonly clients: PineconeClients;
  private readonly places: PineconePlaces;
  private readonly dedicated: DedicatedIndexes;

  constructor(
    private readonly options: PineconeOptions,
    deps: PineconeBackendDeps = {},
  ) {
    super();
    this.clients = new PineconeClients({
      controllerHost: options.controllerHost,
      requestTimeoutMs: options.requestTimeoutMs,
      maxRetries: options.maxRetries,
      apiVersion: options.apiVersion,
      fetch: deps.fetch,
    });
    const secrets =
      deps.secrets ??
      new EnvFileSecretProvider({
        directory: options.tenantKeys.directory,
        cacheTtlMs: options.tenantKeys.cacheTtlMs,
      });
    this.places = new PineconePlaces(options);
    this.dedicated = new DedicatedIndexes(options, this.clients, secrets);
    const capabilities: StrategyCapability[] = [
      {
        strategy: 'namespace',
        limit: options.maxNamespacesPerIndex,
        limitName: 'namespaces per shared index',
      },
    ];
    if (options.dedicated) {
      capabilities.push({
        strategy: 'dedicated_index',
        limit: options.dedicated.maxIndexes,
        limitName: 'indexes per Pinecone project',
      });
    }
    this.capabilities = capabilities;
  }

  plan(request: PlacementRequest): Placement {
    return this.places.plan(request);
  }

  async checkCapacity(scope: TenantScope): Promise<void> {
    const { space } = scope;
    const place = this.places.placeOf(scope);
    if (place.strategy === 'dedicated_index') {
      await this.dedicated.checkCapacity(scope, place);
      return;
    }
    const max = this.options.maxNamespacesPerIndex;
    if (max === null) return;
    const { total, includesOwn } = await this.shared(place).namespaceCount();
    if (!includesOwn && total >= max) {
      throw new CapacityError(
        `the Pinecone index for ${space.dimension}:${space.metric} holds ${total} namespaces; ` +
          `the configured limit is ${max}`,
        'pinecone_namespaces',
      );
    }
  }

  async provision(scope: TenantScope): Promise<void> {
    const place = this.places.placeOf(scope);
    if (place.strategy === 'dedicated_index') {
      await this.dedicated.provision(scope, place);
      return;
    }
    // A namespace is created by its first write; check the shared index is the one configured.
    const dimension = await this.shared(place).dimension();
    if (dimension !== undefined && dimension !== scope.space.dimension) {
      throw new BackendError(
        `the Pinecone index configured for ${scope.space.dimension}:${scope.space.metric} ` +
          `has dimension ${dimension}`,
      );
    }
  }

  async erase(scope: TenantScope): Promise<ErasureReport> {
    const place = this.places.placeOf(scope);
    if (place.strategy === 'dedicated_index') return this.dedicated.erase(scope, place);
    const index = this.shared(place);
    await index.deleteAll(true);
    // Deletes are eventually consistent: poll until the namespace counts zero, within a bound.
    const deadline = Date.now() + this.options.eraseTimeoutMs;
    let remaining = await index.count();
    while (remaining > 0 && Date.now() < deadline) {
      await sleep(this.options.pollIntervalMs);
      remaining = await index.count();
    }
    return { places: [{ place: `pinecone:${index.place}`, remaining }] };
  }

  async health(): Promise<BackendHealth> {
    // The answers (index statistics, index listings) are discarded: they name other tenants.
    const failures: string[] = [];
    for (const index of this.options.sharedIndexes) {
      try {
        await guarded('health check', () =>
          this.clients.index(this.options.apiKey, index.host).describeIndexStats(),
        );
      } catch (err) {
        failures.push(`shared index ${index.dimension}:${index.metric}: ${(err as Error).message}`);
      }
    }
    if (this.options.dedicated) {
      try {
        await this.dedicated.ping();
      } catch (err) {
        failures.push(`control plane: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) return { ok: false, detail: failures.join('; ') };
    return { ok: true };
  }

  close(): Promise<void> {
    this.clients.clear();
    return Promise.resolve();
  }

  async upsert(
    scope: TenantScope,
    records: readonly VectorWrite[],
    call?: CallOptions,
  ): Promise<{ upserted: number }> {
    const index = await this.open(scope);
    assertNotAborted(call);
    if (records.length === 0) return { upserted: 0 };
    const rows: PineconeRecord[] = records.map((r) => ({
      id: r.id,
      values: Array.from(r.values),
      metadata: encodeMetadata(scope.tenantUid, r.metadata, r.id),
    }));
    await index.upsert(rows);
    return { upserted: records.length };
  }

  async fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
    call?: CallOptions,
  ): Promise<StoredRecord[]> {
    const index = await this.open(scope);
    if (ids.length === 0) return [];
    const wanted = new Set(ids);
    const found = await abandonOnAbort(call, () => index.fetch([...wanted]));
    return found.filter((r) => wanted.has(r.id)).map((r) => toStored(r, options));
  }

  async search(
    scope: TenantScope,
    query: SearchQuery,
    call?: CallOptions,
  ): Promise<ScoredRecord[]> {
    const index = await this.open(scope);
    const filter = tenantFilter(scope.tenantUid, query.filter);
    if (filter === NOTHING) return [];
    const matches = await abandonOnAbort(call, () =>
      index.query({
        vector: Array.from(query.vector),
        topK: query.topK,
        filter,
        includeValues: query.includeValues,
        // Always: the tenant uid read back lives in the metadata.
        includeMetadata: true,
      }),
    );
    const metric = scope.space.metric;
    return matches
      .map((match) => {
        if (typeof match.score !== 'number') {
          throw new BackendError('pinecone query failed: a match came back without a score');
        }
        return { ...toStored(match, query), score: toScore(PINECONE_SCORES, metric, match.score) };
      })
      .sort((a, b) => b.score - a.score);
  }

  async delete(
    scope: TenantScope,
    selector: DeleteSelector,
    call?: CallOptions,
  ): Promise<{ deleted: number }> {
    const index = await this.open(scope);
    assertNotAborted(call);
    switch (selector.kind) {
      case 'ids': {
        if (selector.ids.length === 0) return { deleted: 0 };
        // Only ids that exist and carry this tenant's uid are deleted (and counted).
        const found = await index.fetch([...new Set(selector.ids)]);
        const own = found.filter((r) => storedTenant(r.metadata) === scope.tenantUid);
        if (own.length > 0) await index.deleteIds(own.map((r) => r.id));
        return { deleted: own.length };
      }
      case 'filter':
        return { deleted: await this.deleteMatching(scope, index, selector.filter) };
      case 'all': {
        const count = await index.count();
        if (count > 0) await index.deleteAll(false);
        return { deleted: count };
      }
    }
  }

  async count(scope: TenantScope, call?: CallOptions): Promise<number> {
    const index = await this.open(scope);
    return abandonOnAbort(call, () => index.count());
  }

  /**
   * A filtered delete, by ids: the records the tenant's filtered query finds (in its
   * namespace, tenant condition first), deleted and counted, round after round. Pinecone's own
   * delete-by-filter is not used: it answers no count and is not available on every index.
   */
  private async deleteMatching(
    scope: TenantScope,
    index: TenantIndex,
    filter: FilterNode,
  ): Promise<number> {
    const compiled = tenantFilter(scope.tenantUid, filter);
    if (compiled === NOTHING) return 0;
    const probe = new Array<number>(scope.space.dimension).fill(0);
    probe[0] = 1;
    const deleted = new Set<string>();
    for (let round = 0; round < DELETE_ROUNDS; round++) {
      const matches = await index.query({
        vector: probe,
        topK: DELETE_PAGE,
        filter: compiled,
        includeValues: false,
        includeMetadata: false,
      });
      // A deleted record may still be listed for a moment (eventual consistency): skip it.
      const fresh = [...new Set(matches.map((m) => m.id))].filter((id) => !deleted.has(id));
      if (fresh.length === 0) break;
      await index.deleteIds(fresh);
      for (const id of fresh) deleted.add(id);
      if (matches.length < DELETE_PAGE) break;
    }
    return deleted.size;
  }

  /** The tenant's data-plane place, built from its checked placement. */
  private async open(scope: TenantScope): Promise<TenantIndex> {
    const place = this.places.placeOf(scope);
    if (place.strategy === 'dedicated_index') return this.dedicated.open(scope, place);
    return this.shared(place);
  }

  private shared(place: Extract<PineconePlace, { strategy: 'namespace' }>): TenantIndex {
    const index: PineconeSharedIndex = place.index;
    return new TenantIndex(
      this.clients.index(this.options.apiKey, index.host),
      place.namespace,
      `${index.name}/${place.namespace}`,
    );
  }
}

/** A record as read: the stored tenant uid, values and metadata only when asked for. */
function toStored(record: PineconeRecord, options: ReadOptions): StoredRecord {
  const out: { -readonly [K in keyof StoredRecord]: StoredRecord[K] } = {
    id: record.id,
    tenantUid: storedTenant(record.metadata),
  };
  if (options.includeValues && record.values) out.values = Float32Array.from(record.values);
  if (options.includeMetadata) out.metadata = decodeMetadata(record.metadata, record.id);
  return out;
}

/**
 * Pinecone's scores: cosine similarity, dot product, and for euclidean the squared distance
 * (lower is closer). vecgate's score is higher-is-more-similar: the negated distance.
 */
const PINECONE_SCORES: RawScores = {
  cosine: 'similarity',
  dot: 'similarity',
  euclidean: 'squared_distance',
};
