export interface HmacKey {
  readonly kid: string;
  readonly secret: string;
}

export interface ExternalIssuerOptions {
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  readonly tenantClaim: string;
  readonly rolesClaim: string;
}

/** Longest lifetime of an API key, in days, per tenant tier; null is unlimited. */
export interface ApiKeyLifetimes {
  readonly tiers: Readonly<Record<string, number | null>>;
  /** For tiers not listed. */
  readonly fallback: number | null;
}

export interface TenancyOptions {
  /** HS256 keys of the built-in issuer; the first one signs minted tokens. */
  readonly hmacKeys: readonly HmacKey[];
  readonly issuer: string;
  readonly audience: string;
  readonly tenantClaim: string;
  readonly rolesClaim: string;
  readonly external?: ExternalIssuerOptions;
  readonly clockToleranceSeconds: number;
  readonly maxTokenTtlSeconds: number;
  /** Bound on how stale a replica's view of a tenant or revocation can be. */
  readonly cacheTtlMs: number;
  /**
   * With several replicas (PostgreSQL), how long a deletion also waits for requests other
   * replicas admitted before they stopped serving the tenant; longer than any backend call.
   */
  readonly deleteGraceMs: number;
  /** How fast a tenant's move copies its records to the new place (records per second). */
  readonly migrationRecordsPerSecond: number;
  /**
   * With a PostgreSQL registry, the connections of the pool that holds the migration locks
   * (one per moving tenant this process is writing to or copying at a time).
   */
  readonly migrationLockConnections: number;
  /**
   * This gateway process's replica id (kept in its data directory). Embedded tenants belong to
   * the replica that created them; the others refuse their requests.
   */
  readonly replicaId: string;
  /** Requests per second per tenant; 0 disables the limit. */
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  /**
   * Requests per second per client address that no live tenant pays for (refused without a
   * valid token); past it, 429. 0 disables the budget.
   */
  readonly unauthenticatedPerSecond: number;
  readonly unauthenticatedBurst: number;
  /**
   * The HMAC key of API key hashes (API_KEY_SECRET); when absent, derived from the first HS256
   * key with HKDF. Every replica must have the same.
   */
  readonly apiKeySecret?: string;
  readonly apiKeyMaxDays: ApiKeyLifetimes;
}

export const TENANCY_OPTIONS = Symbol('TENANCY_OPTIONS');
