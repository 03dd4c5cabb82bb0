import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { SqlDatabase } from '@vecgate/core';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { Tenant } from '../tenancy.types';
import { NotifiedCache } from './notified-cache';
import { TenantRegistryRepository } from './tenant-registry.repository';

/**
 * Read side of the registry for the hot path: tenants are served from memory, invalidated at
 * once on this replica and through PostgreSQL LISTEN/NOTIFY on the others. An entry is never
 * older than `cacheTtlMs`, which bounds staleness even when a notification is lost.
 */
@Injectable()
export class TenantRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly cache: NotifiedCache<Tenant | undefined>;

  constructor(
    repository: TenantRegistryRepository,
    sql: SqlDatabase,
    @Inject(TENANCY_OPTIONS) options: TenancyOptions,
  ) {
    this.cache = new NotifiedCache(sql, new Logger(TenantRegistry.name), {
      channel: 'vecgate_tenants',
      ttlMs: options.cacheTtlMs,
      maxEntries: 100_000,
      load: (id) => repository.findById(id),
    });
  }

  onModuleInit(): Promise<void> {
    return this.cache.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.cache.stop();
  }

  /** How long another replica may keep serving a changed tenant, at most. */
  get stalenessBoundMs(): number {
    return this.cache.stalenessBoundMs;
  }

  get(id: string): Promise<Tenant | undefined> {
    return this.cache.get(id);
  }

  /** Called after every change of the tenant: drops it here and tells the other replicas. */
  changed(id: string): Promise<void> {
    return this.cache.changed(id);
  }
}
