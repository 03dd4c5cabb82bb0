import type { AuditInput } from '@vecgate/audit';
import type { RequestState, VecgateError } from '@vecgate/core';

/** The audit event of a request, from what the pipeline learned about it. */
export function eventOf(
  state: RequestState,
  status: number,
  reason: string | undefined,
): AuditInput {
  return {
    requestId: state.requestId,
    clientRequestId: state.clientRequestId,
    subject: state.subject,
    mintedBy: state.mintedBy,
    tenantUid: state.tenantUid,
    tenantId: state.tenantId,
    claimedTenant: state.claimedTenant,
    targetTenant: state.targetTenant,
    targetTenantUid: state.targetTenantUid,
    action: state.action,
    resource: state.resource,
    outcome: status < 400 ? 'allowed' : status >= 500 ? 'error' : 'denied',
    status,
    reason,
    resultCount: status < 400 ? state.resultCount : undefined,
    latencyMs: Number(process.hrtime.bigint() - state.startedAt) / 1e6,
    ip: state.ip,
    severity: state.alert ? 'alert' : 'info',
  };
}

export function reasonOf(error: VecgateError): string {
  return error.extras.reason ?? 'audit_unavailable';
}

/**
 * How many records an answer carries: matches, items, upserted or deleted, else one; in the
 * Pinecone dialect's answers, `upsertedCount`, listed or fetched `vectors`, `indexes`; a Qdrant
 * envelope (`{result, status: 'ok'}`) counts its result: a list of points or `{points}`.
 */
export function countOf(result: unknown): number {
  if (result === undefined || result === null) return 0;
  if (typeof result !== 'object') return 1;
  const r = result as Record<string, unknown>;
  if (r.status === 'ok' && 'result' in r)
    return Array.isArray(r.result) ? r.result.length : countOf(r.result);
  if (Array.isArray(r.points)) return r.points.length;
  if (Array.isArray(r.matches)) return r.matches.length;
  if (Array.isArray(r.items)) return r.items.length;
  if (typeof r.upserted === 'number') return r.upserted;
  if (typeof r.deleted === 'number') return r.deleted;
  if (typeof r.upsertedCount === 'number') return r.upsertedCount;
  if (Array.isArray(r.indexes)) return r.indexes.length;
  if (typeof r.vectors === 'object' && r.vectors !== null)
    return Array.isArray(r.vectors) ? r.vectors.length : Object.keys(r.vectors).length;
  return 1;
}
