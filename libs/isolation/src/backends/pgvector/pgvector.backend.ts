import {
  BackendHealth,
  ErasureReport,
  PlacementRequest,
  StrategyCapability,
} from '../../ports/backend-admin';
import { RecordsDriver } from '../../ports/records-driver';
import { Placement, TenantScope } from '../../ports/vector.types';
import { pgvectorCall, pgvectorFailure } from './pgvector.errors';
import { PgvectorLayout } from './pgvector.layout';
import { pgvectorPlacement } from './pgvector.naming';
import { PgvectorOptions } from './pgvector.options';
import { pgvectorCapabilities, PgvectorPlaces } from './pgvector.places';
import { PgvectorRecords } from './pgvector.records';
import { PgvectorSession } from './pgvector.session';

/**
 * PostgreSQL with pgvector: `collection` (a table per tenant), `partition` (a LIST partition
 * per tenant of a shared table per vector space) and `partition_key` (a shared table per
 * vector space, tenant uid leading the key). Every table and partition has row-level security
 * forced, as a second wall behind the scope condition (tenant uid and namespace) every
 * statement carries. Places (`PgvectorPlaces`) and the data plane (`PgvectorRecords`) both
 * start from the location checked against the scope's uid (`locationOf`).
 */
export class PgvectorBackend extends RecordsDriver {
  readonly name = 'pgvector' as const;
  readonly capabilities: readonly StrategyCapability[];

  private readonly session: PgvectorSession;
  private readonly places: PgvectorPlaces;
  protected readonly records: PgvectorRecords;

  constructor(options: PgvectorOptions) {
    super();
    this.capabilities = pgvectorCapabilities(options.limits);
    this.session = new PgvectorSession(options);
    const layout = new PgvectorLayout(this.session);
    this.places = new PgvectorPlaces(this.session, layout, options);
    this.records = new PgvectorRecords(this.session, layout, options);
  }

  plan(request: PlacementRequest): Placement {
    return pgvectorPlacement(request);
  }

  checkCapacity(scope: TenantScope): Promise<void> {
    return pgvectorCall('capacity check', () => this.places.checkCapacity(scope));
  }

  provision(scope: TenantScope): Promise<void> {
    return pgvectorCall('provisioning', () => this.places.provision(scope));
  }

  erase(scope: TenantScope): Promise<ErasureReport> {
    return pgvectorCall('erasure', () => this.places.erase(scope));
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
}
