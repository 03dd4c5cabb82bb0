import { BackendName, METADATA_CAPACITY } from '@vecgate/isolation';

/** A tier's storage limits per tenant; `null` means unlimited. */
export interface StorageQuota {
  readonly vectors: number | null;
  readonly bytes: number | null;
  /** Named namespaces a tenant may hold besides the default one; always bounded. */
  readonly namespaces: number;
  /**
   * One record's metadata, in bytes of JSON; `null` leaves only the backend's own limit. The
   * effective limit is the smaller of this and what the tenant's backend can store.
   */
  readonly metadataBytes: number | null;
}

/** Namespaces per tenant when its tier sets no cap. */
export const DEFAULT_NAMESPACE_CAP = 1000;
/** The highest cap a tier may set: listings and stats walk every namespace of a tenant. */
export const MAX_NAMESPACE_CAP = 100_000;

/** A record's metadata limit unless the tier says otherwise: Pinecone's 40 KB. */
export const DEFAULT_METADATA_BYTES = 40 * 1024;

/** Storage quotas by tier, and the quota of tiers not listed. */
export interface QuotaPolicy {
  readonly tiers: Readonly<Record<string, StorageQuota>>;
  readonly fallback: StorageQuota;
}

/** No storage limit, the default namespace cap, and the default metadata limit of a record. */
export const UNLIMITED: StorageQuota = {
  vectors: null,
  bytes: null,
  namespaces: DEFAULT_NAMESPACE_CAP,
  metadataBytes: DEFAULT_METADATA_BYTES,
};

export const NO_QUOTAS: QuotaPolicy = { tiers: {}, fallback: UNLIMITED };

export function quotaOfTier(policy: QuotaPolicy, tier: string): StorageQuota {
  return Object.hasOwn(policy.tiers, tier) ? (policy.tiers[tier] ?? UNLIMITED) : policy.fallback;
}

/** A tenant's stored vectors and bytes (dimension × 4 + metadata JSON length per record). */
export interface StorageUsage {
  readonly vectors: number;
  readonly bytes: number;
}

/** What `GET /v1/stats` shows: usage against the tier's quota. */
export interface QuotaView {
  readonly vectors: { readonly used: number; readonly limit: number | null };
  readonly bytes: { readonly used: number; readonly limit: number | null };
}

/** The metadata limit of one record for a tenant, and what sets it (named in refusals). */
export interface MetadataLimit {
  readonly bytes: number;
  readonly setBy: string;
}

/** The smaller of the tier's metadata limit and what the tenant's backend can store. */
export function metadataLimitOf(
  quota: StorageQuota,
  tier: string,
  backend: BackendName,
): MetadataLimit {
  const capacity = METADATA_CAPACITY[backend];
  if (quota.metadataBytes !== null && quota.metadataBytes <= capacity) {
    return { bytes: quota.metadataBytes, setBy: `tier "${tier}"` };
  }
  return { bytes: capacity, setBy: `the ${backend} backend` };
}
