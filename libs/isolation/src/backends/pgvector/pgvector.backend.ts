import { UnprocessableError } from '@vecgate/core';
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
import { pgvectorCall, pgvectorFailure } from './pgvector.errors';
import {
  checkIndexable,
  isPgvectorStrategy,
  locate,
  locationOf,
  locationRecord,
} from './pgvector.naming';
import { PgvectorOptions } from './pgvector.options';
import { pgvectorCapabilities, PgvectorPlaces } from './pgvector.places';
import { PgvectorRecords } from './pgvector.records';
import { PgvectorSession } from './pgvector.session';

/**
 * PostgreSQL with pgvector: `collection` (a table per tenant), `partition` (a LIST partition
 * per tenant of a shared table per vector space) and `partition_key` (a shared table per
 * vector space, tenant uid leading the key). Every table and partition has row-level security
 * forced, as a second wall behind the tenant condition every statement carries.
 */
export class PgvectorBackend extends VectorBackendDriver {
  readonly name = 'pgvector' as const;
  readonly capabilities: readonly StrategyCapability[];

  private readonly session: PgvectorSession;
  private readonly places: PgvectorPlaces;
  private readonly records: PgvectorRecords;

  constructor(options: PgvectorOptions) {
    super();
    this.capabilities = pgvectorCapabilities(options.limits);
    this.session = new PgvectorSession(options);
    this.places = new PgvectorPlaces(this.session, options);
    this.records = new PgvectorRecords(this.session, options);
  }

  plan(request: PlacementRequest): Placement {
    if (!isPgvectorStrategy(request.strategy)) {
      throw new UnprocessableError(
        `backend pgvector has no ${request.strategy} strategy`,
        'strategy',
      );
    }
    checkIndexable(request.space);
    const location = locate(request.strategy, request.tenantUid, request.space);
    return { backend: 'pgvector', strategy: request.strategy, location: locationRecord(location) };
  }

  checkCapacity(scope: TenantScope): Promise<void> {
    return pgvectorCall('capacity check', () =>
      this.places.checkCapacity(locationOf(scope), scope.space),
    );
  }

  provision(scope: TenantScope): Promise<void> {
    return pgvectorCall('provisioning', () =>
      this.places.provision(locationOf(scope), scope.tenantUid, scope.space),
    );
  }

  erase(scope: TenantScope): Promise<ErasureReport> {
    return pgvectorCall('erasure', () => this.places.erase(locationOf(scope), scope.tenantUid));
  }

  async health(): Promise<BackendHealth> {
    try {
      await this.session.ping();
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: pgvectorFailure('health check', err).message };
    }
  }

  close(): Promise<void> {
    return this.session.close();
  }

  async upsert(
    scope: TenantScope,
    records: readonly VectorWrite[],
    call?: CallOptions,
  ): Promise<{ upserted: number }> {
    return pgvectorCall('upsert', async () => ({
      upserted: await this.records.upsert(scope.tenantUid, locationOf(scope), records, call),
    }));
  }

  fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
    call?: CallOptions,
  ): Promise<StoredRecord[]> {
    return pgvectorCall('fetch', async () => {
      const location = locationOf(scope);
      if (ids.length === 0) return [];
      return this.records.fetch(scope.tenantUid, location, ids, options, call);
    });
  }

  delete(
    scope: TenantScope,
    selector: DeleteSelector,
    call?: CallOptions,
  ): Promise<{ deleted: number }> {
    return pgvectorCall('delete', async () => {
      const location = locationOf(scope);
      if (selector.kind === 'ids' && selector.ids.length === 0) return { deleted: 0 };
      return { deleted: await this.records.delete(scope.tenantUid, location, selector, call) };
    });
  }

  search(scope: TenantScope, query: SearchQuery, call?: CallOptions): Promise<ScoredRecord[]> {
    return pgvectorCall('search', () =>
      this.records.search(scope.tenantUid, locationOf(scope), scope.space, query, call),
    );
  }

  count(scope: TenantScope, call?: CallOptions): Promise<number> {
    return pgvectorCall('count', () =>
      this.records.count(scope.tenantUid, locationOf(scope), call),
    );
  }
}
