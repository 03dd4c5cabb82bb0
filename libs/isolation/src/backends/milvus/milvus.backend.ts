import { UnprocessableError } from '@vecgate/core';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import {
  BackendHealth,
  ErasureReport,
  PlacementRequest,
  StrategyCapability,
} from '../../ports/backend-admin';
import { RecordsDriver } from '../../ports/records-driver';
import { Placement, TenantScope } from '../../ports/vector.types';
import { createMilvusClient } from './milvus.client';
import { MilvusDdl } from './milvus.ddl';
import { checkStatus, MilvusStatus, thrownError } from './milvus.errors';
import { milvusCapabilities } from './milvus.limits';
import { assertUid, isMilvusStrategy, locate, locationOf, MilvusStrategy } from './milvus.naming';
import { MilvusNamespaceField } from './milvus.namespace-field';
import { MilvusOptions } from './milvus.options';
import { MilvusPlaces } from './milvus.places';
import { MilvusRecords } from './milvus.records';
import { MilvusStatements } from './milvus.statements';

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
 * tenant and namespace condition as a filter template, in every strategy (`MilvusRecords`).
 */
export class MilvusBackend extends RecordsDriver {
  readonly name = 'milvus' as const;
  readonly capabilities: readonly StrategyCapability[];

  private readonly client: MilvusClient;
  protected readonly records: MilvusRecords;
  private readonly places: MilvusPlaces;

  constructor(private readonly options: MilvusOptions) {
    super();
    this.capabilities = milvusCapabilities(options.limits);
    this.client = createMilvusClient(options);
    const statements = new MilvusStatements(this.client);
    const namespaces = new MilvusNamespaceField(this.client);
    this.records = new MilvusRecords(options, statements, namespaces);
    const ddl = new MilvusDdl(this.client, options, namespaces);
    this.places = new MilvusPlaces(ddl, statements, options);
  }

  plan(request: PlacementRequest): Placement {
    assertUid(request.tenantUid);
    const strategy = strategyOf(request.strategy);
    const location = locate(this.options, strategy, request.tenantUid, request.space);
    return { backend: 'milvus', strategy, location: { ...location } };
  }

  async checkCapacity(scope: TenantScope): Promise<void> {
    const location = locationOf(this.options, scope);
    await this.places.checkCapacity(strategyOf(scope.placement.strategy), location);
  }

  async provision(scope: TenantScope): Promise<void> {
    const location = locationOf(this.options, scope);
    await this.places.provision(strategyOf(scope.placement.strategy), location, scope.space);
  }

  async erase(scope: TenantScope): Promise<ErasureReport> {
    const location = locationOf(this.options, scope);
    return this.places.erase(strategyOf(scope.placement.strategy), scope.tenantUid, location);
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
}

function strategyOf(strategy: Placement['strategy']): MilvusStrategy {
  if (!isMilvusStrategy(strategy)) {
    throw new UnprocessableError(`backend milvus has no ${strategy} strategy`, 'strategy');
  }
  return strategy;
}
