/** A tier's storage limits per tenant; `null` means unlimited. */
export interface StorageQuota {
  readonly vectors: number | null;
  readonly bytes: number | null;
  /** Named namespaces a tenant may hold besides the default one; always bounded. */
  readonly namespaces: number;
}

/** Namespaces per tenant when its tier sets no cap. */
export const DEFAULT_NAMESPACE_CAP = 1000;
/** The highest cap a tier may set: listings and stats walk every namespace of a tenant. */
export const MAX_NAMESPACE_CAP = 100_000;

/** Storage quotas by tier, and the quota of tiers not listed. */
export interface QuotaPolicy {
  readonly tiers: Readonly<Record<string, StorageQuota>>;
  readonly fallback: StorageQuota;
}

/** No storage limit, and the default namespace cap. */
export const UNLIMITED: StorageQuota = {
  vectors: null,
  bytes: null,
  namespaces: DEFAULT_NAMESPACE_CAP,
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
