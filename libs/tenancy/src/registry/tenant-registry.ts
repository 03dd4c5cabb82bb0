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
  /** Bumped by every invalidation, so a read that raced a change is not cached. */
  private readonly generations = new Map<string, number>();
  private epoch = 0;
  private unlisten?: () => Promise<void>;

  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly sql: SqlDatabase,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unlisten = await this.sql.listen(
      CHANNEL,
      (id) => this.invalidate(id),
      () => {
        this.logger.warn('tenant notifications reconnected; dropping the tenant cache');
        this.invalidateAll();
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
    const pending = this.loading.get(id);
    if (pending) return pending;
    const startedAt = Date.now();
    const epoch = this.epoch;
    const generation = this.generations.get(id) ?? 0;
    const load = this.repository.findById(id).finally(() => {
      if (this.loading.get(id) === load) this.loading.delete(id);
    });
    this.loading.set(id, load);
    const tenant = await load;
    // A change that happened while this read was in flight makes its result unfit to cache.
    if (this.epoch === epoch && (this.generations.get(id) ?? 0) === generation) {
      this.entries.set(id, { tenant, at: startedAt });
      this.trim();
    }
    return tenant;
  }

  /**
   * Called after every change: drops the entry here and tells the other replicas. The change
   * is committed by then, so a notification that cannot be sent (the database just went away)
   * does not turn it into an error: the other replicas see it within `cacheTtlMs` anyway.
   */
  async changed(id: string): Promise<void> {
    this.invalidate(id);
    try {
      await this.sql.notify(CHANNEL, id);
    } catch (err) {
      this.logger.warn(`could not announce the change of tenant ${id}: ${(err as Error).message}`);
    }
  }

  private invalidate(id: string): void {
    this.entries.delete(id);
    this.loading.delete(id);
    this.generations.set(id, (this.generations.get(id) ?? 0) + 1);
  }

  private invalidateAll(): void {
    this.entries.clear();
    this.loading.clear();
    this.generations.clear();
    this.epoch++;
  }

  private trim(): void {
    if (this.entries.size <= 100_000) return;
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
    if (this.generations.size > 100_000) this.invalidateAll();
  }
}
