import { UnprocessableError } from '@vecgate/core';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
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
import { createMilvusClient } from './milvus.client';
import { milvusCapabilities } from './milvus.limits';
import {
  assertUid,
  isMilvusStrategy,
  locate,
  locationOf,
  MilvusLocation,
  MilvusStrategy,
} from './milvus.naming';
import { MilvusOptions } from './milvus.options';
import { MilvusDdl } from './milvus.ddl';
import { MilvusPlaces } from './milvus.places';
import { MilvusRecords } from './milvus.records';
import { checkStatus, MilvusStatus, thrownError } from './milvus.errors';

/** `CheckHealthResponse` as it arrives: the SDK's type leaves out the status. */
interface HealthAnswer {
  readonly status?: MilvusStatus;
  readonly isHealthy?: boolean;
  readonly reasons?: readonly string[];
}

/**
 * The Milvus backend: `database` (a database per tenant), `collection` (a collection per
 * tenant), `partition` (a partition per tenant in a shared collection per vector space) and
 * `partition_key` (a partition-key field in a shared collection per vector space). One
 * client per process; every call names its `db_name`; every read and delete carries the
 * tenant condition as a filter template, in every strategy.
 */
export class MilvusBackend extends VectorBackendDriver {
  readonly name = 'milvus' as const;
  readonly capabilities: readonly StrategyCapability[];

  private readonly client: MilvusClient;
  private readonly records: MilvusRecords;
  private readonly places: MilvusPlaces;

  constructor(private readonly options: MilvusOptions) {
    super();
    this.capabilities = milvusCapabilities(options.limits);
    this.client = createMilvusClient(options);
    this.records = new MilvusRecords(this.client);
    this.places = new MilvusPlaces(new MilvusDdl(this.client, options), this.records, options);
  }

  plan(request: PlacementRequest): Placement {
    assertUid(request.tenantUid);
    if (!isMilvusStrategy(request.strategy)) {
      throw new UnprocessableError(
        `backend milvus has no ${request.strategy} strategy`,
        'strategy',
      );
    }
    const location = locate(this.options, request.strategy, request.tenantUid, request.space);
    return { backend: 'milvus', strategy: request.strategy, location: { ...location } };
  }

  async checkCapacity(scope: TenantScope): Promise<void> {
    const location = locationOf(this.options, scope);
    await this.places.checkCapacity(this.strategyOf(scope.placement), location);
  }

  async provision(scope: TenantScope): Promise<void> {
    const location = locationOf(this.options, scope);
    await this.places.provision(this.strategyOf(scope.placement), location, scope.space);
  }

  async erase(scope: TenantScope): Promise<ErasureReport> {
    const location = locationOf(this.options, scope);
    return this.places.erase(this.strategyOf(scope.placement), scope.tenantUid, location);
  }

  async health(): Promise<BackendHealth> {
    try {
      const res = (await this.client.checkHealth()) as HealthAnswer;
      checkStatus('health check', res.status);
      if (res.isHealthy !== true) {
        return { ok: false, detail: `Milvus is not healthy: ${(res.reasons ?? []).join('; ')}` };
      }
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: thrownError('health check', err).message };
    }
  }

  async close(): Promise<void> {
    await this.client.closeConnection();
  }

  async upsert(
    scope: TenantScope,
    records: readonly VectorWrite[],
    call?: CallOptions,
  ): Promise<{ upserted: number }> {
    assertNotAborted(call);
    const upserted = await this.records.upsert(scope.tenantUid, this.at(scope), records);
    return { upserted };
  }

  async fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
    call?: CallOptions,
  ): Promise<StoredRecord[]> {
    const location = this.at(scope);
    if (ids.length === 0) return [];
    return abandonOnAbort(call, () => this.records.fetch(scope.tenantUid, location, ids, options));
  }

  async delete(
    scope: TenantScope,
    selector: DeleteSelector,
    call?: CallOptions,
  ): Promise<{ deleted: number }> {
    assertNotAborted(call);
    const location = this.at(scope);
    if (selector.kind === 'ids' && selector.ids.length === 0) return { deleted: 0 };
    return { deleted: await this.records.delete(scope.tenantUid, location, selector) };
  }

  async search(
    scope: TenantScope,
    query: SearchQuery,
    call?: CallOptions,
  ): Promise<ScoredRecord[]> {
    const location = this.at(scope);
    return abandonOnAbort(call, () =>
      this.records.search(scope.tenantUid, location, scope.space, query),
    );
  }

  async count(scope: TenantScope, call?: CallOptions): Promise<number> {
    const location = this.at(scope);
    return abandonOnAbort(call, () => this.records.count(scope.tenantUid, location));
  }

  private at(scope: TenantScope): MilvusLocation {
    return locationOf(this.options, scope);
  }

  private strategyOf(placement: Placement): MilvusStrategy {
    if (!isMilvusStrategy(placement.strategy)) {
      throw new UnprocessableError(
        `backend milvus has no ${placement.strategy} strategy`,
        'strategy',
      );
    }
    return placement.strategy;
  }
}
