import { Inject, Injectable } from '@nestjs/common';
import { CallOptions, TenantScope, TenantVectorStore, VectorWrite } from '@vecgate/isolation';
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

/** What is known of one tenant's usage; metadata bytes are kept apart from vector bytes. */
interface Tally {
  vectors: number;
  metadataBytes: number;
  /** The vector count must be read again from the backend (after a delete by filter). */
  stale: boolean;
}

/** Tenants whose usage is kept; the least recently written beyond it is recounted when next used. */
const MAX_TALLIES = 10_000;

/**
 * Storage usage per tenant against its tier's quota, cheap per write: a tally per tenant, kept
 * current by the writes that pass through (a keyed fetch of the written ids tells which are new
 * and what they replace), and read from the backend's `count` when unknown. Bytes are
 * dimension × 4 + metadata JSON length per record. A tally read back from `count` (after a
 * restart, or a delete by filter) knows the vector count exactly; its metadata bytes are the
 * last known figure scaled to the new count (0 after a restart), an estimate until the records
 * are rewritten. The reservation is taken before the write and given back if the write fails,
 * so concurrent writes of one tenant cannot both pass the last free room.
 */
@Injectable()
export class StorageUsageTracker {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly store: TenantVectorStore,
    @Inject(SEARCH_OPTIONS) private readonly options: SearchOptions,
  ) {}

  quota(tier: string): StorageQuota {
    return quotaOfTier(this.options.quotas, tier);
  }

  /** One record's metadata limit for this tenant: its tier's, within its backend's. */
  metadataLimit(scope: TenantScope, tier: string): MetadataLimit {
    return metadataLimitOf(this.quota(tier), tier, scope.placement.backend);
  }

  /** Usage against quota, for `GET /v1/stats`; the vector count is read from the backend. */
  async view(scope: TenantScope, tier: string, call?: CallOptions): Promise<QuotaView> {
    this.forgetCount(scope);
    const usage = this.usageOf(scope, await this.tally(scope, call));
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
      stale: false,
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
    this.adjust(tally, addVectors, addMetadata);
    return () => this.adjust(tally, -addVectors, -addMetadata);
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
    return () => this.adjust(tally, -own.length, -freed);
  }

  /** After a delete by filter or of everything: the count is read again when next needed. */
  forgetCount(scope: TenantScope): void {
    const tally = this.tallies.get(scope.tenantUid);
    if (tally) tally.stale = true;
  }

  private async tally(scope: TenantScope, call?: CallOptions): Promise<Tally> {
    const known = this.tallies.get(scope.tenantUid);
    if (known && !known.stale) {
      // Re-inserted so the map's order is least recently used first.
      this.tallies.delete(scope.tenantUid);
      this.tallies.set(scope.tenantUid, known);
      return known;
    }
    const vectors = await this.store.count(scope, call);
    const again = this.tallies.get(scope.tenantUid);
    if (again && !again.stale) return again;
    const perRecord = known && known.vectors > 0 ? known.metadataBytes / known.vectors : 0;
    const tally: Tally = { vectors, metadataBytes: Math.round(perRecord * vectors), stale: false };
    this.tallies.delete(scope.tenantUid);
    this.tallies.set(scope.tenantUid, tally);
    if (this.tallies.size > MAX_TALLIES) {
      const oldest = this.tallies.keys().next().value;
      if (oldest !== undefined) this.tallies.delete(oldest);
    }
    return tally;
  }

  private adjust(tally: Tally, vectors: number, metadata: number): void {
    tally.vectors = Math.max(0, tally.vectors + vectors);
    tally.metadataBytes = Math.max(0, tally.metadataBytes + metadata);
  }

  private usageOf(scope: TenantScope, tally: Tally): StorageUsage {
    return {
      vectors: tally.vectors,
      bytes: tally.vectors * scope.space.dimension * 4 + tally.metadataBytes,
    };
  }
}
