/**
 * What the pipeline learns about a request as it goes (who, which tenant, why refused), kept
 * on the request so that the single audit point, which every outcome passes, can record it.
 */
export interface RequestState {
  /** The gateway's own id for the request: the audit key, sent back as `x-request-id`. */
  readonly requestId: string;
  /** The client's `x-request-id`, when valid: recorded, never trusted as unique. */
  readonly clientRequestId?: string;
  /** process.hrtime.bigint() when the request arrived. */
  readonly startedAt: bigint;
  readonly ip: string;
  /** The route's audit action (`vectors.search`), or `http.unmatched`. */
  action: string;
  /** Route template (`/v1/vectors/:id`), never the filled-in path: ids do not enter the trail. */
  resource: string;
  /** Verified subject of the token. */
  subject?: string;
  /** Who minted the token (minted tokens only), shown beside the subject in the audit trail. */
  mintedBy?: string;
  /** Tenant of a verified tenant principal. */
  tenantId?: string;
  tenantUid?: string;
  /** Tenant claim read from a token that failed verification (anyone can forge it). */
  claimedTenant?: string;
  /** Tenant an admin route acted on. */
  targetTenant?: string;
  targetTenantUid?: string;
  reason?: string;
  resultCount?: number;
  /** Cross-tenant attempt or access: audited at alert level and sent to the alert sink. */
  alert?: boolean;
  /**
   * Aborted when the request's deadline passes or its client goes away; the use cases hand it
   * to the backend call so the work stops too.
   */
  signal?: AbortSignal;
  /** True for routes that are neither authenticated nor audited (health, docs). */
  isPublic?: boolean;
}

export interface VgRequest {
  vg: RequestState;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  query?: unknown;
  params?: Record<string, string>;
}
