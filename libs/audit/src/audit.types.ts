export type AuditOutcome = 'allowed' | 'denied' | 'error';
export type AuditSeverity = 'info' | 'alert';

/** One event per request and outcome, plus isolation-violation events. */
export interface AuditEvent {
  readonly id: string;
  /** Epoch milliseconds. */
  readonly at: number;
  /** The gateway's own id for the request (unique per request). */
  readonly requestId: string;
  /** The client's own `x-request-id`: chosen by the client, so neither unique nor trusted. */
  readonly clientRequestId?: string;
  readonly subject?: string;
  /** Who minted the subject's token, for minted tokens: a tenant admin's subject, or a platform one. */
  readonly mintedBy?: string;
  readonly tenantUid?: string;
  readonly tenantId?: string;
  /** Tenant claimed by a token that failed verification; never shown in a tenant's view. */
  readonly claimedTenant?: string;
  readonly targetTenant?: string;
  readonly targetTenantUid?: string;
  readonly action: string;
  readonly resource: string;
  readonly outcome: AuditOutcome;
  readonly status: number;
  readonly reason?: string;
  readonly resultCount?: number;
  readonly latencyMs: number;
  readonly ip: string;
  readonly severity: AuditSeverity;
}

export interface StoredAuditEvent extends AuditEvent {
  readonly seq: number;
}

export interface AuditFilter {
  /** Events of this tenant uid, as actor or as resolved target. */
  readonly tenantUid?: string;
  /** Events naming this tenant id as actor or target (platform view). */
  readonly tenantId?: string;
  readonly subject?: string;
  /** The gateway's id of a request: only that request's events. */
  readonly requestId?: string;
  /** A client's id: the events of every request that sent it, whoever sent them. */
  readonly clientRequestId?: string;
  readonly action?: string;
  readonly outcome?: AuditOutcome;
  readonly severity?: AuditSeverity;
  readonly since?: number;
  readonly until?: number;
}

export interface AuditPage {
  readonly items: StoredAuditEvent[];
  readonly nextCursor: string | null;
}

export type AuditMode = 'durable' | 'async';

export interface AuditOptions {
  /** durable: an event is committed before its answer is sent; async: right after. */
  readonly mode: AuditMode;
  readonly queueMax: number;
  readonly batchMax: number;
  /** How long a durable answer waits for its commit before it becomes a 503. */
  readonly commitTimeoutMs: number;
  /** Unauthenticated (401) events stored individually per second; the rest are counted. */
  readonly unauthenticatedPerSecond: number;
  /** Async mode: how long events gather before a commit (durable mode commits at once). */
  readonly flushIntervalMs: number;
  readonly alertWebhookUrl?: string;
  readonly alertRetries: number;
  /** Attempt alerts one sender may have sent one by one per window; the rest are summarised. */
  readonly alertQuota: number;
  readonly alertWindowMs: number;
  /** Log each event as a JSON line as well. */
  readonly log: boolean;
  /**
   * Writes one event's log line; by default the Nest logger's `{ context: 'audit', audit }`.
   * The gateway gives a writer of the same line that skips Nest's logger and redaction.
   */
  readonly logLine?: (event: AuditEvent) => void;
}

export const AUDIT_OPTIONS = Symbol('AUDIT_OPTIONS');
