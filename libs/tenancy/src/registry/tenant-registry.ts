import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { SqlDatabase } from '@vecgate/core';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { Tenant } from '../tenancy.types';
import { TenantRegistryRepository } from './tenant-registry.repository';

const CHANNEL = 'vecgate_tenants';

interface Entry {
  readonly tenant: Tenant | undefined;
  readonly at: number;
}

/**
 * Read side of the registry for the hot path: tenants are served from memory, invalidated at
 * once on this replica and through PostgreSQL LISTEN/NOTIFY on the others. An entry is never
 * older than `cacheTtlMs`, which bounds staleness even when a notification is lost.
 */
@Injectable()
export class TenantRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TenantRegistry.name);
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Tenant | undefined>>();
  private unlisten?: () => Promise<void>;

  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly sql: SqlDatabase,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unlisten = await this.sql.listen(
      CHANNEL,
      (id) => this.entries.delete(id),
      () => {
        this.logger.warn('tenant notifications reconnected; dropping the tenant cache');
        this.entries.clear();
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.unlisten?.();
  }

  /** How long another replica may keep serving a changed tenant, at most. */
  get stalenessBoundMs(): number {
    return this.sql.dialect === 'postgres' ? this.options.cacheTtlMs : 0;
  }

  async get(id: string): Promise<Tenant | undefined> {
    const entry = this.entries.get(id);
    if (entry && Date.now() - entry.at < this.options.cacheTtlMs) return entry.tenant;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.repository.findById(id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
      const tenant = await pending;
      this.entries.set(id, { tenant, at: Date.now() });
      this.trim();
      return tenant;
    }
    return pending;
  }

  /** Called after every change: drops the entry here and tells the other replicas. */
  async changed(id: string): Promise<void> {
    this.entries.delete(id);
    await this.sql.notify(CHANNEL, id);
  }

  private trim(): void {
    if (this.entries.size <= 100_000) return;
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
