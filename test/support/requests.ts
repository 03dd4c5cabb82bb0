import type { Test } from 'supertest';
import { AuditRecord, expectAudited, newRequestId } from './audit-trail';
import type { TestGateway } from './test-gateway';
import { bearer } from './tokens';

/** A search by a reader of `tenant`, with a token of the gateway's own test issuer. */
export function searchAs(gw: TestGateway, tenant: string, body: object): Test {
  return gw.http
    .post('/v1/search')
    .set(bearer(gw.tokens.tenant(tenant, ['reader'])))
    .send(body);
}

/**
 * One more search with `headers`, under a fresh request id, that must be refused 429 with a
 * Retry-After of at least a second and audited as such. Returns the answer's text (to look for
 * leaked data) and the audit event (to see whom the refusal was charged to).
 */
export async function expectThrottledSearch(
  gw: TestGateway,
  headers: Record<string, string>,
  body: object,
): Promise<{ text: string; event: AuditRecord }> {
  const requestId = newRequestId();
  const res = await gw.http
    .post('/v1/search')
    .set({ ...headers, 'x-request-id': requestId })
    .send(body);
  expect(res.status).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  return { text: res.text, event: await expectAudited(gw, requestId, 429) };
}
