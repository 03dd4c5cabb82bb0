import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@vecgate/core';
import {
  BackendAdmin,
  BackendName,
  Placement,
  PlacementPolicy,
  QdrantTokenService,
  StrategyName,
  TenantScope,
} from '@vecgate/isolation';
import { assertNotMoving, existingTenant, liveTenant } from '../../guards/target-tenant';
import { TenantRegistry } from '../../registry/tenant-registry';
import { TenantRegistryRepository } from '../../registry/tenant-registry.repository';
import { assertServedHere } from '../../replica-ownership';
import { TENANCY_OPTIONS, TenancyOptions } from '../../tenancy.options';
import { MigrationState, scopeAt, Tenant, TenantMigration } from '../../tenancy.types';
import { TenantLocks } from '../../tenant-locks';
import { MigrationRunner } from './migration-runner';

export interface MoveRequest {
  readonly tier?: string;
  readonly backend?: BackendName;
  readonly strategy?: StrategyName;
}

/**
 * What the tenant plane checks of a move before it starts (the storage quota of the target
 * tier, each record's metadata against the target's limit); refuses by throwing.
 */
export type MoveAdmission = (
  current: TenantScope,
  target: { readonly fromTier: string; readonly tier: string; readonly backend: BackendName },
) => Promise<void>;

/** `moving`: a migration started (202); otherwise the placement stays and the tier is a label. */
export type MoveOutcome = { readonly tenant: Tenant; readonly moving: boolean };

const BEFORE_SWITCH = ['announced', 'copying', 'verifying'] as const;

/**
 * Starts and cancels a tenant's move to another placement. A tier whose rule places elsewhere
 * (or an explicit backend and strategy) starts one: the target is planned for the same uid,
 * its capacity checked and its place provisioned before anything is recorded, so a refusal
 * leaves nothing started; the runner does the rest in the background.
 */
@Injectable()
export class MigrateTenant {
  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly registry: TenantRegistry,
    private readonly backends: BackendAdmin,
    private readonly policy: PlacementPolicy,
    private readonly locks: TenantLocks,
    private readonly runner: MigrationRunner,
    private readonly qdrantTokens: QdrantTokenService,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  /**
   * Whether the request names a placement other than the tenant's: a tier without a rule in
   * the placement policy stays a label, as it always was.
   */
  async execute(
    id: string,
    request: MoveRequest,
    by: string,
    admit: MoveAdmission,
  ): Promise<MoveOutcome> {
    return this.locks.run(id, async () => {
      const tenant = liveTenant(id, existingTenant(id, await this.repository.findById(id)));
      // A request that names no placement (a status change) leaves the tenant where it is,
      // even when its placement is not its tier's rule (it was created with an override).
      const { tier, backend, strategy } = request;
      if (tier === undefined && backend === undefined && strategy === undefined)
        return { tenant, moving: false };
      // During a move the tier is the move's: a label changed meanwhile would be overwritten
      // when the move switches.
      assertNotMoving(tenant);
      const target = this.targetOf(tenant, request);
      if (!target) {
        // A new label in place: the tenant must fit the tier's quotas, as a move must.
        if (tier !== undefined && tier !== tenant.tier) {
          const current = scopeAt(tenant, tenant.placement);
          await admit(current, { fromTier: tenant.tier, tier, backend: current.placement.backend });
        }
        return { tenant, moving: false };
      }
      assertNoDirectKey(tenant.placement);
      // The replica holding an embedded tenant's files runs its move.
      assertServedHere(tenant, this.options.replicaId);
      if (
        target.backend === 'embedded' &&
        tenant.placement.backend !== 'embedded' &&
        this.registry.stalenessBoundMs > 0
      ) {
        // Every replica writes a moving tenant's records to both places; an embedded place
        // would be each replica's own files.
        throw new ConflictError(
          `with several replicas a tenant on ${tenant.placement.backend} cannot move to the embedded backend`,
        );
      }
      const placement = this.backends.plan(target.backend, {
        tenantId: tenant.id,
        tenantUid: tenant.uid,
        strategy: target.strategy,
        space: { dimension: tenant.dimension, metric: tenant.metric },
      });
      const scope = scopeAt(tenant, placement);
      await this.backends.checkCapacity(scope);
      await admit(scopeAt(tenant, tenant.placement), {
        fromTier: tenant.tier,
        tier: target.tier,
        backend: target.backend,
      });
      await this.backends.provision(scope);
      const now = Date.now();
      const migration: TenantMigration = {
        state: 'announced',
        from: { tier: tenant.tier, placement: tenant.placement },
        to: { tier: target.tier, placement },
        copied: 0,
        total: 0,
        startedAt: now,
        startedBy: by,
        updatedAt: now,
        error: null,
      };
      if (!(await this.repository.migrations.start(tenant, migration))) {
        throw new ConflictError(`tenant ${id} is already moving; cancel it first`);
      }
      await this.registry.changed(id);
      this.runner.audited(tenant, 'announced', migration);
      // Announced first, so no new token is minted meanwhile; a call made with one before the
      // revocation lands in the old place before the copy starts (the runner's settle).
      await this.qdrantTokens.revokeAll(scopeAt(tenant, tenant.placement));
      this.runner.drive(id);
      return { tenant: { ...tenant, migration }, moving: true };
    });
  }

  /**
   * Cancels a move that has not switched yet: the tenant stays where it was. A cancel repeated
   * while the first is under way (a retry after a lost answer) asks for what is already
   * happening: it answers the same, with the move `cancelling`, and records no second phase.
   */
  async cancel(id: string): Promise<Tenant> {
    return this.locks.run(id, async () => {
      const tenant = liveTenant(id, existingTenant(id, await this.repository.findById(id)));
      const m = tenant.migration;
      if (!m || m.state === 'failed') throw new NotFoundError(`tenant ${id} is not moving`);
      if (m.state === 'cancelling') return tenant;
      const cancelled = await this.repository.migrations.advance(
        tenant.uid,
        BEFORE_SWITCH,
        { state: 'cancelling' },
        Date.now(),
      );
      if (!cancelled) {
        // The move left its cancellable phases since it was read (another replica may have
        // cancelled it): answer from its state now.
        const now = (await this.repository.findById(id))?.migration;
        if (!now || now.state === 'failed') throw new NotFoundError(`tenant ${id} is not moving`);
        if (now.state === 'cancelling') return { ...tenant, migration: now };
        throw new ConflictError(notCancellable(id, now.state));
      }
      await this.registry.changed(id);
      this.runner.audited(tenant, 'cancelling', m);
      this.runner.drive(id);
      return { ...tenant, migration: { ...m, state: 'cancelling' } };
    });
  }

  private targetOf(
    tenant: Tenant,
    request: MoveRequest,
  ): { tier: string; backend: BackendName; strategy: StrategyName } | undefined {
    const tier = request.tier ?? tenant.tier;
    const explicit = request.backend !== undefined || request.strategy !== undefined;
    // Its own tier again places it nowhere new (a placement given at creation stays).
    if (!explicit && tier === tenant.tier) return undefined;
    if (!explicit && !this.policy.entries().some(([name]) => name === tier)) return undefined;
    const choice = this.policy.resolve({
      tier,
      backend: request.backend ?? (explicit ? tenant.placement.backend : undefined),
      strategy: request.strategy,
    });
    const same =
      choice.backend === tenant.placement.backend && choice.strategy === tenant.placement.strategy;
    return same ? undefined : choice;
  }
}

/** Why a move past its cancellable phases is not cancelled, in the words of its state. */
function notCancellable(id: string, state: MigrationState): string {
  if (state === 'rolling_back')
    return `tenant ${id}'s move failed and is being rolled back: it stays in its old place`;
  return (
    `tenant ${id} has already switched to its new place (${state}); once it has settled there, ` +
    'move it back with another PATCH'
  );
}

/**
 * A tenant whose dedicated Pinecone index lives in its own project holds a key that reaches
 * the index without the gateway: writes made with it would miss the new place, and only the
 * tenant can revoke it. Such a tenant is not moved (409).
 */
function assertNoDirectKey(placement: Placement): void {
  if (placement.backend === 'pinecone' && placement.location.credentials === 'tenant') {
    throw new ConflictError(
      'the tenant’s dedicated Pinecone index is in its own project, whose key bypasses the gateway: ' +
        'it cannot be moved online; export and re-import it instead',
    );
  }
}
