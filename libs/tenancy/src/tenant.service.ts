import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BadRequestError, ConflictError, NotFoundError, UnprocessableError } from '@vecgate/core';
import {
  BackendAdmin,
  makeTenantScope,
  MAX_DIMENSION,
  METRICS,
  PlacementPolicy,
  TIER_PATTERN,
  TenantScope,
} from '@vecgate/isolation';
import { assertServedHere } from './replica-ownership';
import { DeleteOutcome, TenantDeletion } from './tenant-deletion';
import { heartbeat, TenantLocks } from './tenant-locks';
import { TenantRegistry } from './registry/tenant-registry';
import { ListPage, TenantRegistryRepository } from './registry/tenant-registry.repository';
import { TENANCY_OPTIONS, TenancyOptions } from './tenancy.options';
import {
  scopeOfTenant,
  Tenant,
  TENANT_ID_PATTERN,
  TenantSpec,
  TenantStatus,
} from './tenancy.types';

export type CreateOutcome = { readonly tenant: Tenant; readonly created: boolean };
const LIVE: readonly TenantStatus[] = ['active', 'suspended'];
const WAIT_FOR_PEER_CREATE_MS = 10_000;

/**
 * Tenant lifecycle: create (idempotent), read, list, suspend/resume, re-tier, delete with
 * verified erasure and a tombstone. A tenant is visible only once fully provisioned, and
 * start-up recovery finishes or rolls back anything a crash interrupted.
 */
@Injectable()
export class TenantService {
  private readonly logger = new Logger(TenantService.name);

  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly registry: TenantRegistry,
    private readonly backends: BackendAdmin,
    private readonly policy: PlacementPolicy,
    private readonly locks: TenantLocks,
    private readonly deletion: TenantDeletion,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  get replicaId(): string {
    return this.options.replicaId;
  }

  /** The scope of a tenant this replica serves; 421 for an embedded tenant another one holds. */
  scopeOf(tenant: Tenant): TenantScope {
    assertServedHere(tenant, this.options.replicaId);
    return scopeOfTenant(tenant);
  }

  async create(spec: TenantSpec): Promise<CreateOutcome> {
    validateSpec(spec);
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
        await this.backends.provision(this.scopeOf(tenant));
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
    if (!tenant || tenant.status === 'provisioning')
      throw new NotFoundError(`tenant ${id} does not exist`);
    return tenant;
  }

  /** A tenant that exists and is not being deleted. */
  async getLive(id: string): Promise<Tenant> {
    const tenant = await this.get(id);
    if (tenant.status === 'deleting') throw new ConflictError(`tenant ${id} is being deleted`);
    return tenant;
  }

  list(limit: number, cursor?: string): Promise<ListPage> {
    return this.repository.list(limit, cursor);
  }

  async update(
    id: string,
    changes: { status?: 'active' | 'suspended'; tier?: string },
  ): Promise<Tenant> {
    if (changes.tier !== undefined && !TIER_PATTERN.test(changes.tier)) {
      throw new BadRequestError(`tier must match ${TIER_PATTERN.source}`, 'tier');
    }
    return this.locks.run(id, async () => {
      const tenant = await this.getLive(id);
      const updated = await this.repository.update(tenant.uid, LIVE, changes, Date.now());
      await this.registry.changed(id);
      // Another replica began deleting it between the read and the write.
      if (!updated) throw new ConflictError(`tenant ${id} is being deleted`);
      return updated;
    });
  }

  /** Deletes a tenant (see TenantDeletion): 204 at once alone, 202 with replicas. */
  delete(id: string, deletedBy: string): Promise<DeleteOutcome> {
    return this.deletion.delete(id, deletedBy);
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
      await this.backends.erase(this.scopeOf(tenant));
      await this.repository.remove(tenant.uid);
    } catch (err) {
      this.logger.error(
        `rolling back tenant ${tenant.id} failed; start-up recovery will retry: ${(err as Error).message}`,
      );
    }
  }

  /**
   * Finishes what a crash interrupted, for one tenant left in a transient state: one still
   * provisioning was never acknowledged, so it is rolled back; one still deleting is erased
   * and tombstoned.
   */
  async resume(tenant: Tenant): Promise<void> {
    await this.locks.run(tenant.id, async () => {
      const now = await this.repository.findById(tenant.id);
      // Finished or taken over since it was listed.
      if (!now || now.uid !== tenant.uid || now.status !== tenant.status) return;
      this.logger.warn(`recovering tenant ${tenant.id} left ${tenant.status}`);
      if (tenant.status === 'provisioning') {
        await this.backends.erase(this.scopeOf(tenant));
        await this.repository.remove(tenant.uid);
      } else {
        await this.deletion.finish(tenant, 'recovery');
      }
      await this.registry.changed(tenant.id);
    });
  }
}

function validateSpec(spec: TenantSpec): void {
  if (!TENANT_ID_PATTERN.test(spec.id)) {
    throw new BadRequestError(`id must match ${TENANT_ID_PATTERN.source}`, 'id');
  }
  if (spec.tier !== undefined && !TIER_PATTERN.test(spec.tier)) {
    throw new BadRequestError(`tier must match ${TIER_PATTERN.source}`, 'tier');
  }
  if (!Number.isInteger(spec.dimension) || spec.dimension < 1 || spec.dimension > MAX_DIMENSION) {
    throw new UnprocessableError(
      `dimension must be an integer from 1 to ${MAX_DIMENSION}`,
      'dimension',
    );
  }
  if (!(METRICS as readonly string[]).includes(spec.metric)) {
    throw new BadRequestError(`metric must be one of ${METRICS.join(', ')}`, 'metric');
  }
}
