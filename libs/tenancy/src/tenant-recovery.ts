import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { SqlDatabase } from '@vecgate/core';
import { PlacementPolicy } from '@vecgate/isolation';
import { TenantRegistryRepository } from './registry/tenant-registry.repository';
import { isServedHere } from './replica-ownership';
import { TENANCY_OPTIONS, TenancyOptions } from './tenancy.options';
import { Tenant, TenantStatus } from './tenancy.types';
import { TenantService } from './tenant.service';

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
export class TenantRecovery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TenantRecovery.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly tenants: TenantService,
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
        if (this.mayTakeOver(tenant, before)) await this.tenants.resume(tenant);
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
