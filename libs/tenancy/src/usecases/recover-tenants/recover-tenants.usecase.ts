import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { SqlDatabase } from '@vecgate/core';
import { BackendAdmin, PlacementPolicy } from '@vecgate/isolation';
import { TenantRegistryRepository } from '../../registry/tenant-registry.repository';
import { TenantRegistry } from '../../registry/tenant-registry';
import { isServedHere, scopeServedHere } from '../../replica-ownership';
import { TENANCY_OPTIONS, TenancyOptions } from '../../tenancy.options';
import { Tenant, TenantStatus } from '../../tenancy.types';
import { TenantLocks } from '../../tenant-locks';
import { DeleteTenant } from '../delete-tenant/delete-tenant.usecase';

/** Rows left in a transient state longer than this by another replica are taken over. */
const RECOVERY_GRACE_MS = 60_000;
const TRANSIENT: readonly TenantStatus[] = ['provisioning', 'deleting'];

/**
 * Finishes what a crash interrupted: at start-up, and with replicas also every half grace, so
 * a deletion a vanished replica had accepted (202) still ends in the verified erasure. On
 * PostgreSQL only rows untouched for the grace are taken (live work refreshes its row), and
 * an embedded tenant only by the replica that holds its files.
 */
@Injectable()
export class RecoverTenants implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RecoverTenants.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly registry: TenantRegistry,
    private readonly backends: BackendAdmin,
    private readonly locks: TenantLocks,
    private readonly deletion: DeleteTenant,
    private readonly policy: PlacementPolicy,
    private readonly sql: SqlDatabase,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const claimed = await this.repository.claimUnowned(this.options.replicaId);
    if (claimed > 0) {
      this.logger.warn(`replica ${this.options.replicaId} took ${claimed} embedded tenants`);
    }
    this.announce();
    await this.recover();
    if (this.sql.dialect === 'postgres') {
      this.timer = setInterval(
        () => void this.recover().catch(() => undefined),
        RECOVERY_GRACE_MS / 2,
      );
      this.timer.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One pass; a pass still running (a slow erasure) is not started twice. */
  recover(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const before = Date.now() - (this.sql.dialect === 'postgres' ? RECOVERY_GRACE_MS : 0);
    for (const status of TRANSIENT) {
      for (const tenant of await this.repository.findByStatus(status, Date.now())) {
        if (this.mayTakeOver(tenant, before)) await this.resume(tenant);
      }
    }
  }

  /**
   * An embedded tenant of this replica at once (no other process can be working on its files;
   * work of this process in progress holds the tenant's lock, which `resume` waits for); any
   * other tenant once its row has been left alone for the grace.
   */
  private mayTakeOver(tenant: Tenant, before: number): boolean {
    if (!isServedHere(tenant, this.options.replicaId)) return false;
    if (tenant.placement.backend === 'embedded' && tenant.owner === this.options.replicaId)
      return true;
    return tenant.updatedAt <= before;
  }

  /**
   * Finishes what a crash interrupted, for one tenant left in a transient state: one still
   * provisioning was never acknowledged, so it is rolled back; one still deleting is erased
   * and tombstoned.
   */
  private async resume(tenant: Tenant): Promise<void> {
    await this.locks.run(tenant.id, async () => {
      const now = await this.repository.findById(tenant.id);
      // Finished or taken over since it was listed.
      if (!now || now.uid !== tenant.uid || now.status !== tenant.status) return;
      this.logger.warn(`recovering tenant ${tenant.id} left ${tenant.status}`);
      if (tenant.status === 'provisioning') {
        await this.backends.erase(scopeServedHere(tenant, this.options.replicaId));
        await this.repository.remove(tenant.uid);
      } else {
        await this.deletion.finish(tenant, 'recovery');
      }
      await this.registry.changed(tenant.id);
    });
  }

  /** With a shared registry, says plainly which embedded tenants this replica serves. */
  private announce(): void {
    if (this.sql.dialect !== 'postgres') return;
    const embedded = this.policy
      .entries()
      .filter(([, rule]) => rule.backend === 'embedded')
      .map(([tier]) => tier);
    if (embedded.length === 0) return;
    this.logger.warn(
      `tiers ${embedded.join(', ')} place tenants on the embedded backend: each such tenant ` +
        `belongs to the replica that created it (this one is ${this.options.replicaId}); other ` +
        'replicas answer its requests with 421 tenant_on_other_replica',
    );
  }
}
