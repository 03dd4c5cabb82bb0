import type { IncomingMessage } from 'node:http';
import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/** A started gateway listening on a random loopback port, with its base URL. */
export interface ListeningGateway {
  readonly gw: TestGateway;
  readonly base: string;
  /** Requests that reached the gateway whose path contains `part`, since the last reset. */
  requestsTo(part: string): number;
  resetCount(): void;
}

export async function startListening(env: Record<string, string> = {}): Promise<ListeningGateway> {
  const gw = await startGateway({ env });
  const { port } = gw;
  const seen: string[] = [];
  gw.app.getHttpServer().on('request', (req: IncomingMessage) => seen.push(req.url ?? ''));
  return {
    gw,
    base: `http://127.0.0.1:${port}`,
    requestsTo: (part) => seen.filter((url) => url.includes(part)).length,
    resetCount: () => void seen.splice(0),
  };
}

/** Creates a tenant and a tenant API key with these roles; returns the key. */
export async function tenantWithKey(
  gw: TestGateway,
  tenant: { id: string; dimension: number; metric: string },
  roles: string[] = ['reader', 'writer'],
): Promise<string> {
  await createTenant(gw.http, gw.tokens, tenant);
  return keyFor(gw, tenant.id, roles);
}

export async function keyFor(gw: TestGateway, tenant: string, roles: string[]): Promise<string> {
  const response = await gw.http
    .post(`/v1/admin/tenants/${tenant}/api-keys`)
    .set(bearer(gw.tokens.platform()))
    .send({ name: `key-${roles.join('-')}`, roles });
  if (response.status !== 201) throw new Error(`api key: ${response.status}`);
  return (response.body as { key: string }).key;
}

export interface AuditItem {
  action: string;
  resource: string;
  status: number;
  outcome: string;
  reason?: string;
  tenantId?: string;
  severity: string;
  resultCount?: number;
}

/** Audit events of an action, newest first, read through the platform audit API. */
export async function auditedAs(gw: TestGateway, action: string): Promise<AuditItem[]> {
  await gw.flushAudit();
  const response = await gw.http
    .get('/v1/admin/audit')
    .query({ action })
    .set(bearer(gw.tokens.platform(['auditor'])));
  if (response.status !== 200) throw new Error(`audit query answered ${response.status}`);
  return (response.body as { items: AuditItem[] }).items;
}
