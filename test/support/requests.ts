import type { Response, Test } from 'supertest';
import { AuditRecord, expectAudited, newRequestId } from './audit-trail';
import type { TestGateway } from './test-gateway';
import { bearer } from './tokens';

/** A search with `token` as the bearer; by default, for the nearest record of a 3-d tenant. */
export function searchBearing(
  gw: TestGateway,
  token: string,
  body: object = { vector: [1, 0, 0], topK: 1 },
): Test {
  return gw.http.post('/v1/search').set(bearer(token)).send(body);
}

/** A search by a reader of `tenant`, with a token of the gateway's own test issuer. */
export function searchAs(gw: TestGateway, tenant: string, body: object): Test {
  return searchBearing(gw, gw.tokens.tenant(tenant, ['reader']), body);
}

/**
 * One search with `headers`, under a fresh request id, that must be refused with `status` and
 * audited as such. Returns the answer and the audit event (to see whom it was charged to).
 */
export async function refusedSearch(
  gw: TestGateway,
  headers: Record<string, string>,
  body: object,
  status: number,
): Promise<{ res: Response; event: AuditRecord }> {
  const requestId = newRequestId();
  const res = await gw.http
    .post('/v1/search')
    .set({ ...headers, 'x-request-id': requestId })
    .send(body);
  expect(res.status).toBe(status);
  return { res, event: await expectAudited(gw, requestId, status) };
}

/**
 * One more search with `headers` that must be refused 429 with a Retry-After of at least a
 * second, and audited as such. Returns the answer's text (to look for leaked data) and the
 * audit event.
 */
export async function expectThrottledSearch(
  gw: TestGateway,
  headers: Record<string, string>,
  body: object,
): Promise<{ text: string; event: AuditRecord }> {
  const { res, event } = await refusedSearch(gw, headers, body, 429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  return { text: res.text, event };
}
