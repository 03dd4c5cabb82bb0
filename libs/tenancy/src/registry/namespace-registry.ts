import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { SqlDatabase } from '@vecgate/core';
import { KeyedMutex } from '../keyed-mutex';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { NamespaceEntry, NamespaceRows, Registration } from './namespace-rows';
import { NotifiedCache } from './notified-cache';
import { TenantRegistryRepository } from './tenant-registry.repository';

/** Tenants whose namespace set is kept in memory; the least recently loaded is read again. */
const MAX_CACHED_TENANTS = 4096;

/**
 * Each tenant's named namespaces, for the hot path (an upsert into a namespace must find it
 * registered) and for listings. Cached per tenant uid and invalidated like tenants are: at
 * once on this replica, through LISTEN/NOTIFY on the others, and never older than the tenant
 * cache bound (`TENANT_CACHE_TTL_MS`).
 */
@Injectable()
export class NamespaceRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly rows: NamespaceRows;
  private readonly cache: NotifiedCache<ReadonlyMap<string, number>>;
  /** Serialises a tenant's registrations here, so its cap holds within one process. */
  private readonly registering = new KeyedMutex();

  constructor(
    repository: TenantRegistryRepository,
    sql: SqlDatabase,
    @Inject(TENANCY_OPTIONS) options: TenancyOptions,
  ) {
    const rows = repository.namespaces;
    this.rows = rows;
    this.cache = new NotifiedCache(sql, new Logger(NamespaceRegistry.name), {
      channel: 'vecgate_namespaces',
      ttlMs: options.cacheTtlMs,
      maxEntries: MAX_CACHED_TENANTS,
      load: async (uid) => new Map((await rows.list(uid)).map((e) => [e.name, e.createdAt])),
    });
  }

  onModuleInit(): Promise<void> {
    return this.cache.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.cache.stop();
  }

  /** The tenant's named namespaces, by name (the default namespace is not among them). */
  async list(tenantUid: string): Promise<NamespaceEntry[]> {
    const names = await this.cache.get(tenantUid);
    return [...names]
      .map(([name, createdAt]) => ({ name, createdAt }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async has(tenantUid: string, name: string): Promise<boolean> {
    return (await this.cache.get(tenantUid)).has(name);
  }

  /** The registry's current entry, read from its table (not the cache), for the control plane. */
  async lookup(tenantUid: string, name: string): Promise<NamespaceEntry | undefined> {
    return this.rows.find(tenantUid, name);
  }

  /**
   * Registers a namespace unless the tenant already holds `cap` of them. A namespace found in
   * the cache costs no registry read, so writes into known namespaces stay off the database.
   */
  async register(tenantUid: string, name: string, cap: number): Promise<Registration> {
    if (await this.has(tenantUid, name)) return 'exists';
    return this.registering.run(tenantUid, async () => {
      const outcome = await this.rows.add(tenantUid, name, cap, Date.now());
      if (outcome !== 'full') await this.cache.changed(tenantUid);
      return outcome;
    });
  }

  /** Forgets a namespace; false when the tenant had none of that name. */
  async remove(tenantUid: string, name: string): Promise<boolean> {
    const removed = await this.rows.remove(tenantUid, name);
    await this.cache.changed(tenantUid);
    return removed;
  }
}
