import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackendAdmin } from '@vecgate/isolation';
import { noSuchTenant } from '../../guards/target-tenant';
import { TenantRegistry } from '../../registry/tenant-registry';
import { TenantRegistryRepository } from '../../registry/tenant-registry.repository';
import { assertServedHere } from '../../replica-ownership';
import { TENANCY_OPTIONS, TenancyOptions } from '../../tenancy.options';
import { placesOf, scopeAt, Tenant, TENANT_ID_PATTERN } from '../../tenancy.types';
import { heartbeat, TenantLocks } from '../../tenant-locks';

/** `erased`: gone and verified (204); otherwise the erasure finishes in the background (202). */
export type DeleteOutcome = { readonly tenant: Tenant; readonly erased: boolean };

/**
 * Deletes a tenant: marks it deleting, then erases and verifies every place and tombstones
 * the id. Alone on its registry (SQLite) that happens before the answer. With replicas
 * (PostgreSQL) the erasure runs in the background and the answer says so (the tenant reads
 * `deleting` until it is gone; a crash resumes it through recovery): a server-backend tenant
 * may still be served by another replica until the staleness bound has passed, plus the grace
 * for a request it admitted just before, longer than a client should wait.
 */
@Injectable()
export class DeleteTenant implements OnApplicationShutdown {
  private readonly logger = new Logger(DeleteTenant.name);
  /** Stops background erasures waiting out the staleness bound when the process shuts down. */
  private readonly shutdown = new AbortController();

  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly registry: TenantRegistry,
    private readonly backends: BackendAdmin,
    private readonly locks: TenantLocks,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  onApplicationShutdown(): void {
    this.shutdown.abort();
  }

  /** 204 at once alone (`erased`), 202 with replicas. */
  async execute(id: string, deletedBy: string): Promise<DeleteOutcome> {
    return this.locks.run(id, async () => {
      const tenant = TENANT_ID_PATTERN.test(id) ? await this.repository.findById(id) : undefined;
      if (!tenant || tenant.status === 'provisioning') throw noSuchTenant(id);
      // Before marking it: a replica that cannot erase the tenant's files must not start.
      assertServedHere(tenant, this.options.replicaId);
      const inBackground = this.registry.stalenessBoundMs > 0;
      if (tenant.status === 'deleting' && inBackground) return { tenant, erased: false };
      const marked = await this.repository.update(
        tenant.uid,
        ['active', 'suspended', 'deleting'],
        { status: 'deleting' },
        Date.now(),
      );
      if (!marked) throw noSuchTenant(id);
      await this.registry.changed(id);
      if (!inBackground) {
        await this.finish(marked, deletedBy);
        return { tenant: marked, erased: true };
      }
      void this.eraseLater(marked, deletedBy, this.servedElsewhereForMs(marked));
      return { tenant: marked, erased: false };
    });
  }

  /**
   * Erases and verifies every place of a tenant marked deleting, then tombstones its id. The
   * caller holds the tenant's lock.
   */
  async finish(tenant: Tenant, deletedBy: string): Promise<void> {
    assertServedHere(tenant, this.options.replicaId);
    // A tenant deleted while it moves has two places: both go.
    for (const placement of placesOf(tenant)) {
      await this.backends.erase(scopeAt(tenant, placement));
    }
    await this.repository.tombstone(tenant, Date.now(), deletedBy);
    await this.registry.changed(tenant.id);
  }

  /**
   * How long other replicas may still serve a tenant marked deleting. None for an embedded
   * tenant: only the replica holding its files serves it, and this one stopped at once.
   */
  private servedElsewhereForMs(tenant: Tenant): number {
    switch (tenant.placement.backend) {
      case 'embedded':
        return 0;
      case 'milvus':
      case 'qdrant':
      case 'pinecone':
      case 'pgvector':
        return this.registry.stalenessBoundMs + this.options.deleteGraceMs;
    }
  }

  private async eraseLater(tenant: Tenant, deletedBy: string, waitMs: number): Promise<void> {
    const timer = heartbeat((now) => this.repository.touch(tenant.uid, now));
    try {
      await sleep(waitMs, undefined, { signal: this.shutdown.signal, ref: false });
      await this.locks.run(tenant.id, async () => {
        // Recovery may have finished it meanwhile.
        const now = await this.repository.findById(tenant.id);
        if (now?.uid !== tenant.uid || now.status !== 'deleting') return;
        await this.finish(now, deletedBy);
        this.logger.log(`tenant ${tenant.id} erased and tombstoned`);
      });
    } catch (err) {
      if (this.shutdown.signal.aborted) return;
      this.logger.error(
        `erasing tenant ${tenant.id} failed; recovery will retry: ${(err as Error).message}`,
      );
    } finally {
      clearInterval(timer);
    }
  }
}
