import { Inject, Injectable } from '@nestjs/common';
import { setNewest } from '@vecgate/core';
import {
  CallOptions,
  DEFAULT_NAMESPACE,
  TenantScope,
  TenantVectorStore,
  VectorWrite,
} from '@vecgate/isolation';
import { NamespaceRegistry, scopeInNamespace } from '@vecgate/tenancy';
import { metadataBytes } from '../validation/record-input';
import { SEARCH_OPTIONS, SearchOptions } from '../search.options';
import { QuotaExceededError } from './quota-exceeded.error';
import {
  MetadataLimit,
  metadataLimitOf,
  QuotaView,
  quotaOfTier,
  StorageQuota,
  StorageUsage,
} from './storage-quota';
import { eachBounded, UsageTally } from './usage-tally';

/** Tenants whose usage is kept; the least recently written beyond it is recounted when next used. */
const MAX_TALLIES = 10_000;
/** Backend `count` calls one recount of a tenant's namespaces runs at a time. */
const COUNT_CONCURRENCY = 4;

/**
 * Storage usage per tenant, across all its namespaces, against its tier's quota, cheap per
 * write: a tally per tenant, kept current by the writes that pass through (a keyed fetch of the
 * written ids tells which are new and what they replace), and read from the backend's `count`
 * of each namespace when unknown. Bytes are dimension × 4 + metadata JSON length per record. A
 * tally read back from `count` (after a restart, or a delete by filter) knows the vector count
 * exactly; its metadata bytes are the last known figure scaled to the new count (0 after a
 * restart), an estimate until the records are rewritten. The reservation is taken before the
 * write and given back if the write fails, so concurrent writes of one tenant cannot both pass
 * the last free room.
 */
@Injectable()
export class StorageUsageTracker {
  private readonly tallies = new Map<string, UsageTally>();

  constructor(
    private readonly store: TenantVectorStore,
    private readonly namespaces: NamespaceRegistry,
    @Inject(SEARCH_OPTIONS) private readonly options: SearchOptions,
  ) {}

  quota(tier: string): StorageQuota {
    return quotaOfTier(this.options.quotas, tier);
  }

  /**
   * One record's metadata limit for this tenant: its tier's, within its backend's, and while it
   * moves within the backend of its new place too (its writes are stored in both).
   */
  metadataLimit(scope: TenantScope, tier: string): MetadataLimit {
    const here = metadataLimitOf(this.quota(tier), tier, scope.placement.backend);
    if (!scope.mirror) return here;
    const there = metadataLimitOf(this.quota(tier), tier, scope.mirror.placement.backend);
    return there.bytes < here.bytes ? there : here;
  }

  /**
   * Reads the vector count of each of `names`, every namespace of the tenant, from the backend
   * and keeps them as the tenant's tally.
   */
  async recount(
    scope: TenantScope,
    names: readonly string[],
    call?: CallOptions,
  ): Promise<Map<string, number>> {
    const counts = await this.countEach(scope, names, call);
    const tally = this.tallies.get(scope.tenantUid) ?? new UsageTally();
    tally.recounted(counts, true);
    this.keep(scope.tenantUid, tally);
    return counts;
  }

  /** Usage against quota, for `GET /v1/stats`, from counts just read (`recount`). */
  view(scope: TenantScope, tier: string): QuotaView {
    const tally = this.tallies.get(scope.tenantUid) ?? new UsageTally();
    const usage = this.usageOf(scope, tally);
    const quota = this.quota(tier);
    return {
      vectors: { used: usage.vectors, limit: quota.vectors },
      bytes: { used: usage.bytes, limit: quota.bytes },
    };
  }

  /**
   * Checks an upsert against the quota and reserves its room; refuses it whole with
   * QuotaExceededError. Returns the function that gives the room back if the write fails.
   */
  async reserveUpsert(
    scope: TenantScope,
    tier: string,
    records: readonly VectorWrite[],
    bytes: readonly number[],
    call?: CallOptions,
  ): Promise<() => void> {
    const tally = await this.tally(scope, call);
    const existing = await this.store.fetch(
      scope,
      records.map((r) => r.id),
      { includeValues: false, includeMetadata: true },
      call,
    );
    const replaced = new Map<string, number>();
    for (const record of existing) {
      if (record.tenantUid === scope.tenantUid)
        replaced.set(record.id, metadataBytes(record.metadata));
    }
    let addVectors = 0;
    let addMetadata = 0;
    records.forEach((record, i) => {
      const old = replaced.get(record.id);
      if (old === undefined) addVectors++;
      addMetadata += (bytes[i] ?? 0) - scope.space.dimension * 4 - (old ?? 0);
    });
    const quota = this.quota(tier);
    const after = this.usageOf(scope, {
      vectors: tally.vectors + addVectors,
      metadataBytes: tally.metadataBytes + addMetadata,
    });
    if (quota.vectors !== null && addVectors > 0 && after.vectors > quota.vectors) {
      throw new QuotaExceededError(
        `the write would store ${after.vectors} vectors; this tenant's quota is ${quota.vectors}`,
        'vectors',
      );
    }
    if (quota.bytes !== null && addMetadata + addVectors > 0 && after.bytes > quota.bytes) {
      throw new QuotaExceededError(
        `the write would store ${after.bytes} bytes; this tenant's quota is ${quota.bytes}`,
        'bytes',
      );
    }
    tally.adjust(scope.namespace, addVectors, addMetadata);
    return () => tally.adjust(scope.namespace, -addVectors, -addMetadata);
  }

  /** Before a delete by ids: what those records hold, to be released once it succeeded. */
  async measureDelete(
    scope: TenantScope,
    ids: readonly string[],
    call?: CallOptions,
  ): Promise<() => void> {
    const tally = this.tallies.get(scope.tenantUid);
    if (!tally) return () => undefined;
    const found = await this.store.fetch(
      scope,
      ids,
      { includeValues: false, includeMetadata: true },
      call,
    );
    const own = found.filter((r) => r.tenantUid === scope.tenantUid);
    const freed = own.reduce((sum, r) => sum + metadataBytes(r.metadata), 0);
    return () => tally.adjust(scope.namespace, -own.length, -freed);
  }

  /**
   * After a delete by filter or of everything in the scope's namespace: that namespace's count
   * is read again when next needed.
   */
  forgetCount(scope: TenantScope): void {
    this.tallies.get(scope.tenantUid)?.stale.add(scope.namespace);
  }

  /**
   * Reads the scope's namespace's count again if it is stale, while the caller keeps writes
   * to it out (a delete by filter, under the namespace's gate): then no reservation is in
   * flight, and the count is exact. A failed read leaves it stale, read by the next write.
   */
  async recountStale(scope: TenantScope): Promise<void> {
    const tally = this.tallies.get(scope.tenantUid);
    if (!tally?.stale.has(scope.namespace)) return;
    // No signal: the delete is done, and its count is wanted even if its client left.
    const counts = await this.countEach(scope, [scope.namespace]).catch(() => undefined);
    if (counts) tally.recounted(counts, false);
  }

  /** After a namespace was erased and forgotten: it holds nothing and is no longer counted. */
  erased(scope: TenantScope): void {
    const tally = this.tallies.get(scope.tenantUid);
    if (!tally) return;
    tally.recounted(new Map([[scope.namespace, 0]]), false);
    tally.counts.delete(scope.namespace);
  }

  private async tally(scope: TenantScope, call?: CallOptions): Promise<UsageTally> {
    let tally = this.tallies.get(scope.tenantUid);
    if (!tally) {
      const counts = await this.countEach(scope, await this.namesOf(scope), call);
      // Another write may have made the tally meanwhile, and reserved room in it: keep that one.
      tally = this.tallies.get(scope.tenantUid);
      if (!tally) {
        tally = new UsageTally();
        tally.recounted(counts, true);
      }
    } else if (tally.stale.size > 0) {
      tally.recounted(await this.countEach(scope, [...tally.stale], call), false);
    }
    this.keep(scope.tenantUid, tally);
    return tally;
  }

  /** Every namespace of the tenant: the default one first, then the registered ones by name. */
  private async namesOf(scope: TenantScope): Promise<string[]> {
    const named = await this.namespaces.list(scope.tenantUid);
    return [DEFAULT_NAMESPACE, ...named.map((e) => e.name)];
  }

  private countEach(
    scope: TenantScope,
    names: readonly string[],
    call?: CallOptions,
  ): Promise<Map<string, number>> {
    return eachBounded(names, COUNT_CONCURRENCY, async (name) => {
      const n = await this.store.count(scopeInNamespace(scope, name), call);
      return [name, n] as const;
    }).then((pairs) => new Map(pairs));
  }

  /** Keeps a tally, most recently used last, forgetting the least recently used beyond the cap. */
  private keep(tenantUid: string, tally: UsageTally): void {
    setNewest(this.tallies, tenantUid, tally, MAX_TALLIES);
  }

  private usageOf(
    scope: TenantScope,
    tally: { readonly vectors: number; readonly metadataBytes: number },
  ): StorageUsage {
    return {
      vectors: tally.vectors,
      bytes: tally.vectors * scope.space.dimension * 4 + tally.metadataBytes,
    };
  }
}
