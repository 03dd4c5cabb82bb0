import { Inject, Injectable } from '@nestjs/common';
import { ConflictError } from '@vecgate/core';
import { assertNotMoving, existingTenant, liveTenant } from './guards/target-tenant';
import { TenantScope } from '@vecgate/isolation';
import { scopeServedHere } from './replica-ownership';
import { TenantLocks } from './tenant-locks';
import { TenantRegistry } from './registry/tenant-registry';
import { ListPage, TenantRegistryRepository } from './registry/tenant-registry.repository';
import { TENANCY_OPTIONS, TenancyOptions } from './tenancy.options';
import { Tenant, TENANT_ID_PATTERN, TenantStatus } from './tenancy.types';

const LIVE: readonly TenantStatus[] = ['active', 'suspended'];

/**
 * Reading, listing and changing tenants (suspend/resume, re-tier). Creation, deletion and
 * start-up recovery are use cases of their own (`usecases/`).
 */
@Injectable()
export class TenantService {
  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly registry: TenantRegistry,
    private readonly locks: TenantLocks,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  get replicaId(): string {
    return this.options.replicaId;
  }

  /** The scope of a tenant this replica serves; 421 for an embedded tenant another one holds. */
  scopeOf(tenant: Tenant): TenantScope {
    return scopeServedHere(tenant, this.options.replicaId);
  }

  /**
   * Runs work on a tenant while no creation or deletion of that id runs in this process
   * (token minting uses it, so no token row is written after the tenant's tombstone).
   */
  exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(id, work);
  }

  /** A tenant for the admin plane: any status but transient ones; 404 otherwise. */
  async get(id: string): Promise<Tenant> {
    const tenant = TENANT_ID_PATTERN.test(id) ? await this.repository.findById(id) : undefined;
    return existingTenant(id, tenant);
  }

  /** A tenant that exists and is not being deleted. */
  async getLive(id: string): Promise<Tenant> {
    return liveTenant(id, await this.get(id));
  }

  list(limit: number, cursor?: string): Promise<ListPage> {
    return this.repository.list(limit, cursor);
  }

  async update(
    id: string,
    changes: { status?: 'active' | 'suspended'; tier?: string },
  ): Promise<Tenant> {
    return this.locks.run(id, async () => {
      const tenant = await this.getLive(id);
      // A move may have started since the request was admitted: its switch sets the tier.
      if (changes.tier !== undefined && changes.tier !== tenant.tier) assertNotMoving(tenant);
      const updated = await this.repository.update(tenant.uid, LIVE, changes, Date.now());
      await this.registry.changed(id);
      // Another replica began deleting it between the read and the write.
      if (!updated) throw new ConflictError(`tenant ${id} is being deleted`);
      return updated;
    });
  }
}
