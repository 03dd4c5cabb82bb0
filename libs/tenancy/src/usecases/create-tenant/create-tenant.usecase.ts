import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, UnprocessableError } from '@vecgate/core';
import { BackendAdmin, makeTenantScope, MAX_DIMENSION, PlacementPolicy } from '@vecgate/isolation';
import { TenantRegistry } from '../../registry/tenant-registry';
import { TenantRegistryRepository } from '../../registry/tenant-registry.repository';
import { scopeServedHere } from '../../replica-ownership';
import { TENANCY_OPTIONS, TenancyOptions } from '../../tenancy.options';
import { Tenant, TenantSpec } from '../../tenancy.types';
import { heartbeat, TenantLocks } from '../../tenant-locks';

export type CreateOutcome = { readonly tenant: Tenant; readonly created: boolean };
const WAIT_FOR_PEER_CREATE_MS = 10_000;

/**
 * Creates a tenant, idempotently: an identical repeat answers the existing tenant, a different
 * one is a conflict. A tenant is visible only once fully provisioned; a failed provisioning is
 * rolled back, and start-up recovery rolls back one a crash interrupted.
 */
@Injectable()
export class CreateTenant {
  private readonly logger = new Logger(CreateTenant.name);

  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly registry: TenantRegistry,
    private readonly backends: BackendAdmin,
    private readonly policy: PlacementPolicy,
    private readonly locks: TenantLocks,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  /**
   * The spec's shape (id and tier patterns, metric) is the request DTO's to check; the
   * dimension's range is a rule of the backends, refused here with 422 before any placement.
   */
  async execute(spec: TenantSpec): Promise<CreateOutcome> {
    if (!Number.isInteger(spec.dimension) || spec.dimension < 1 || spec.dimension > MAX_DIMENSION) {
      throw new UnprocessableError(
        `dimension must be an integer from 1 to ${MAX_DIMENSION}`,
        'dimension',
      );
    }
    const choice = this.policy.resolve(spec);
    return this.locks.run(spec.id, async () => {
      const existing = await this.repository.findById(spec.id);
      if (existing) return this.repeat(existing, spec, choice);

      const uid = randomBytes(16).toString('hex');
      const space = { dimension: spec.dimension, metric: spec.metric };
      const placement = this.backends.plan(choice.backend, {
        tenantId: spec.id,
        tenantUid: uid,
        strategy: choice.strategy,
        space,
      });
      await this.backends.checkCapacity(
        makeTenantScope({ tenantId: spec.id, tenantUid: uid, placement, space }),
      );
      const now = Date.now();
      const tenant: Tenant = {
        id: spec.id,
        uid,
        status: 'provisioning',
        tier: choice.tier,
        placement,
        dimension: spec.dimension,
        metric: spec.metric,
        supersedesDeletedAt: await this.repository.latestDeletion(spec.id),
        // An embedded tenant's records are files of this replica's data directory.
        owner: placement.backend === 'embedded' ? this.options.replicaId : null,
        createdAt: now,
        updatedAt: now,
      };
      if (!(await this.repository.insert(tenant))) {
        const raced = await this.repository.findById(spec.id);
        if (!raced) throw new ConflictError(`tenant ${spec.id} changed concurrently; retry`);
        return this.repeat(raced, spec, choice);
      }
      // A heartbeat while provisioning runs (a dedicated index can take minutes), so another
      // replica's start-up recovery never mistakes this creation for an abandoned one.
      const timer = heartbeat((at) => this.repository.touch(uid, at));
      try {
        await this.backends.provision(scopeServedHere(tenant, this.options.replicaId));
      } catch (err) {
        await this.rollBack(tenant);
        throw err;
      } finally {
        clearInterval(timer);
      }
      const active = await this.repository.update(
        uid,
        ['provisioning'],
        { status: 'active' },
        Date.now(),
      );
      await this.registry.changed(spec.id);
      if (!active) {
        // The row was taken over (rolled back by a recovery): never answer for a tenant that
        // does not exist.
        await this.rollBack(tenant);
        throw new ConflictError(`creating tenant ${spec.id} was interrupted; retry`);
      }
      return { tenant: active, created: true };
    });
  }

  private async repeat(
    existing: Tenant,
    spec: TenantSpec,
    choice: { tier: string; backend: string; strategy: string },
  ): Promise<CreateOutcome> {
    if (existing.status === 'deleting')
      throw new ConflictError(`tenant ${spec.id} is being deleted`);
    const same =
      existing.tier === choice.tier &&
      existing.placement.backend === choice.backend &&
      existing.placement.strategy === choice.strategy &&
      existing.dimension === spec.dimension &&
      existing.metric === spec.metric;
    if (!same)
      throw new ConflictError(`tenant ${spec.id} already exists with a different definition`);
    if (existing.status === 'provisioning') return this.awaitPeer(existing);
    return { tenant: existing, created: false };
  }

  /** Another replica is creating the same tenant: wait for it to finish, briefly. */
  private async awaitPeer(tenant: Tenant): Promise<CreateOutcome> {
    const deadline = Date.now() + WAIT_FOR_PEER_CREATE_MS;
    while (Date.now() < deadline) {
      await sleep(100);
      const now = await this.repository.findById(tenant.id);
      if (now && now.uid === tenant.uid && now.status !== 'provisioning')
        return { tenant: now, created: false };
      if (!now || now.uid !== tenant.uid) break;
    }
    throw new ConflictError(`tenant ${tenant.id} is being created; retry`);
  }

  private async rollBack(tenant: Tenant): Promise<void> {
    try {
      await this.backends.erase(scopeServedHere(tenant, this.options.replicaId));
      await this.repository.remove(tenant.uid);
    } catch (err) {
      this.logger.error(
        `rolling back tenant ${tenant.id} failed; start-up recovery will retry: ${(err as Error).message}`,
      );
    }
  }
}
