import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditService } from '@vecgate/audit';
import { BackendAdmin, MigrationGate, TenantVectorStore } from '@vecgate/isolation';
import { TenantRegistry } from '../../registry/tenant-registry';
import { TenantRegistryRepository } from '../../registry/tenant-registry.repository';
import { isServedHere } from '../../replica-ownership';
import { TENANCY_OPTIONS, TenancyOptions } from '../../tenancy.options';
import {
  MIGRATION_STATES,
  MigrationState,
  scopeAt,
  Tenant,
  TenantMigration,
} from '../../tenancy.types';
import { heartbeat } from '../../tenant-locks';
import { PlaceCopier } from './place-copier';

/** Beyond the cache bound, for a replica's clock and a request admitted just before. */
const SETTLE_MARGIN_MS = 1_000;
/** Every state but `failed`: a move in one of them is driven on at start-up. */
const UNFINISHED: readonly MigrationState[] = MIGRATION_STATES.filter((s) => s !== 'failed');
const BEFORE_SWITCH: readonly MigrationState[] = ['announced', 'copying', 'verifying'];

/** The copy and its verification disagree: the new place is not switched to. */
class VerificationFailed extends Error {}
/** The copy found its migration moved on (cancelled): the next step erases the new place. */
class Cancelled extends Error {}

/**
 * Drives a tenant's move from phase to phase, each one durable in the registry before it
 * takes effect, so a crash anywhere resumes here at start-up: before the switch the copy is
 * redone (it is idempotent) or the new place erased; after it the old place is erased. Every
 * phase is audited on the tenant's trail and the platform's.
 */
@Injectable()
export class MigrationRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MigrationRunner.name);
  private readonly running = new Set<string>();
  private readonly shutdown = new AbortController();

  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly registry: TenantRegistry,
    private readonly backends: BackendAdmin,
    private readonly store: TenantVectorStore,
    private readonly gate: MigrationGate,
    private readonly audit: AuditService,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const id of await this.repository.migrations.tenantsIn(UNFINISHED)) this.drive(id);
  }

  onApplicationShutdown(): void {
    this.shutdown.abort();
  }

  /** Starts driving a tenant's migration in the background, unless this process already is. */
  drive(tenantId: string): void {
    if (this.running.has(tenantId)) return;
    this.running.add(tenantId);
    void this.loop(tenantId)
      .catch((err: Error) => {
        if (!this.shutdown.signal.aborted)
          this.logger.error(`migration of tenant ${tenantId} stopped: ${err.message}`);
      })
      .finally(() => this.running.delete(tenantId));
  }

  private async loop(tenantId: string): Promise<void> {
    for (;;) {
      const tenant = await this.repository.findById(tenantId);
      const migration = tenant?.migration;
      if (!tenant || !migration || !UNFINISHED.includes(migration.state)) return;
      if (tenant.status !== 'active' && tenant.status !== 'suspended') return;
      if (!isServedHere(tenant, this.options.replicaId)) return;
      const timer = heartbeat((now) => this.touch(tenant, migration.state, now));
      try {
        await this.step(tenant, migration);
      } catch (err) {
        if (this.shutdown.signal.aborted) throw err;
        await this.fail(tenant, migration, err as Error);
      } finally {
        clearInterval(timer);
      }
    }
  }

  private async step(tenant: Tenant, m: TenantMigration): Promise<void> {
    switch (m.state) {
      case 'announced':
        await this.settle(m.updatedAt);
        return this.advance(tenant, m, 'copying');
      case 'copying':
        await this.copy(tenant, m);
        return this.advance(tenant, m, 'verifying');
      case 'verifying':
        return this.verifyAndSwitch(tenant, m);
      case 'switched':
        await this.settle(m.updatedAt);
        return this.advance(tenant, m, 'retiring');
      case 'retiring':
        await this.settle(m.updatedAt);
        await this.backends.retire(scopeAt(tenant, m.from.placement));
        return this.end(tenant, m, 'completed');
      case 'cancelling':
      case 'rolling_back':
        await this.settle(m.updatedAt);
        await this.backends.retire(scopeAt(tenant, m.to.placement));
        if (m.state === 'rolling_back') return this.advance(tenant, m, 'failed');
        return this.end(tenant, m, 'cancelled');
      case 'failed':
        return;
    }
  }

  /** Every namespace, the default first: copied, then pruned of what the old place lacks. */
  private async copy(tenant: Tenant, m: TenantMigration): Promise<void> {
    const copier = this.copier();
    const namespaces = await this.namespacesOf(tenant);
    let total = 0;
    for (const ns of namespaces)
      total += await this.store.count(scopeAt(tenant, m.from.placement, ns));
    await this.repository.migrations.advance(
      tenant.uid,
      ['copying'],
      { total, copied: 0 },
      Date.now(),
    );
    for (const ns of namespaces) {
      const from = scopeAt(tenant, m.from.placement, ns);
      const to = scopeAt(tenant, m.to.placement, ns);
      await copier.copy(from, to, (copied) => this.progress(tenant, copied));
      await copier.prune(from, to);
    }
    await this.registry.changed(tenant.id);
  }

  /**
   * Compares both places, namespace by namespace, with none of the tenant's writes in flight,
   * and switches in the same exclusive step, so no write lands between the check and the switch.
   */
  private async verifyAndSwitch(tenant: Tenant, m: TenantMigration): Promise<void> {
    const copier = this.copier();
    const namespaces = await this.namespacesOf(tenant);
    const switched = await this.gate.exclusive(tenant.uid, async () => {
      for (const ns of namespaces) {
        const [old, copy] = await Promise.all([
          copier.digest(scopeAt(tenant, m.from.placement, ns)),
          copier.digest(scopeAt(tenant, m.to.placement, ns)),
        ]);
        if (old.count !== copy.count || old.digest !== copy.digest) {
          throw new VerificationFailed(
            `namespace "${ns}": the old place holds ${old.count} records, the new one ` +
              `${copy.count}${old.count === copy.count ? ' with different contents' : ''}`,
          );
        }
      }
      if (
        !(await this.repository.migrations.switchOver(
          tenant,
          m.to,
          this.options.replicaId,
          Date.now(),
        ))
      )
        return false;
      await this.registry.changed(tenant.id);
      return true;
    });
    if (switched) this.audited(tenant, 'switched', m);
  }

  private async fail(tenant: Tenant, m: TenantMigration, err: Error): Promise<void> {
    if (err instanceof Cancelled) return;
    this.logger.error(`migration of tenant ${tenant.id} (${m.state}) failed: ${err.message}`);
    if (BEFORE_SWITCH.includes(m.state)) {
      const error =
        err instanceof VerificationFailed ? `verification: ${err.message}` : err.message;
      const rolling = await this.repository.migrations.advance(
        tenant.uid,
        BEFORE_SWITCH,
        { state: 'rolling_back', error },
        Date.now(),
      );
      await this.registry.changed(tenant.id);
      // Otherwise it was cancelled meanwhile, which erases the new place just the same.
      if (rolling) this.audited(tenant, 'rolling_back', m, error);
      return;
    }
    // Past the switch there is no going back: wait, then try the erasure again.
    await sleep(5_000, undefined, { signal: this.shutdown.signal });
  }

  private async advance(tenant: Tenant, m: TenantMigration, state: MigrationState): Promise<void> {
    if (!(await this.repository.migrations.advance(tenant.uid, [m.state], { state }, Date.now())))
      return;
    await this.registry.changed(tenant.id);
    this.audited(tenant, state, m);
  }

  private async end(tenant: Tenant, m: TenantMigration, outcome: string): Promise<void> {
    if (!(await this.repository.migrations.remove(tenant.uid, [m.state]))) return;
    await this.registry.changed(tenant.id);
    this.audited(tenant, outcome, m);
  }

  private async progress(tenant: Tenant, copied: number): Promise<void> {
    const still = await this.repository.migrations.advance(
      tenant.uid,
      ['copying'],
      { copied },
      Date.now(),
    );
    if (!still) throw new Cancelled();
  }

  private async touch(tenant: Tenant, state: MigrationState, now: number): Promise<void> {
    await this.repository.migrations.advance(tenant.uid, [state], {}, now);
  }

  /**
   * Waits until every replica has seen the phase announced at `since`, and a request that
   * resolved the tenant just before has made its store call (the margin; alone on SQLite, the
   * cache is invalidated at once and the margin is the whole wait).
   */
  private async settle(since: number): Promise<void> {
    const bound = this.registry.stalenessBoundMs;
    const grace = bound > 0 ? bound + this.options.deleteGraceMs : 0;
    const wait = since + grace + SETTLE_MARGIN_MS - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: this.shutdown.signal });
  }

  private async namespacesOf(tenant: Tenant): Promise<string[]> {
    const named = await this.repository.namespaces.list(tenant.uid);
    return ['', ...named.map((n) => n.name)];
  }

  private copier(): PlaceCopier {
    return new PlaceCopier(
      this.store,
      this.gate,
      this.options.migrationRecordsPerSecond,
      this.shutdown.signal,
    );
  }

  /** Records a phase on the tenant's audit trail (and so on the platform's). */
  audited(tenant: Tenant, phase: string, m: TenantMigration, reason?: string): void {
    const at = (p: { tier: string; placement: { backend: string; strategy: string } }) =>
      `${p.tier} (${p.placement.backend}:${p.placement.strategy})`;
    void this.audit
      .record({
        requestId: `migration-${tenant.uid}-${m.startedAt}`,
        subject: m.startedBy,
        targetTenant: tenant.id,
        targetTenantUid: tenant.uid,
        action: `admin.tenant.migration.${phase}`,
        resource: `tenant:${tenant.id}`,
        outcome: phase === 'rolling_back' ? 'error' : 'allowed',
        status: 200,
        reason: reason ?? `from ${at(m.from)} to ${at(m.to)}`,
        latencyMs: Date.now() - m.startedAt,
        ip: '-',
        severity: 'info',
      })
      ?.catch((err: Error) => this.logger.warn(`audit of a migration phase: ${err.message}`));
  }
}
