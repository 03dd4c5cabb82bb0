import { randomUUID } from 'node:crypto';
import type { TestGateway } from './test-gateway';
import { bearer } from './tokens';

export interface AuditRecord {
  requestId: string;
  clientRequestId?: string;
  status: number;
  outcome: string;
  severity: string;
  action: string;
  reason?: string;
  tenantUid?: string;
  tenantId?: string;
  claimedTenant?: string;
  targetTenant?: string;
  subject?: string;
  mintedBy?: string;
  resultCount?: number;
}

export const newRequestId = (): string => randomUUID();

/**
 * The audit events of the requests that sent this `x-request-id` (tests send a fresh UUID per
 * request), read through the platform audit API.
 */
export async function auditOf(gw: TestGateway, requestId: string): Promise<AuditRecord[]> {
  await gw.flushAudit();
  const response = await gw.http
    .get('/v1/admin/audit')
    .query({ clientRequestId: requestId })
    .set(bearer(gw.tokens.platform(['auditor'])));
  if (response.status !== 200) throw new Error(`audit query answered ${response.status}`);
  return (response.body as { items: AuditRecord[] }).items;
}

/** Asserts that exactly one request event was recorded with this status. */
export async function expectAudited(
  gw: TestGateway,
  requestId: string,
  status: number,
): Promise<AuditRecord> {
  const events = (await auditOf(gw, requestId)).filter((e) => e.action !== 'isolation.violation');
  expect(events).toHaveLength(1);
  const event = events[0] as AuditRecord;
  expect(event.status).toBe(status);
  expect(event.outcome).toBe(status < 400 ? 'allowed' : status >= 500 ? 'error' : 'denied');
  return event;
}
