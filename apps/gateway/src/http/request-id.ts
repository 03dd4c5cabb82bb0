import type { IncomingHttpHeaders } from 'node:http';

/** What a client's own request id may look like: kept only when it does. */
export const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The client's `x-request-id`, kept apart from the gateway's own id as `clientRequestId`:
 * clients choose it, so it can repeat or imitate another request's id and is never the audit
 * key. One that is repeated, too long or outside the charset is not recorded.
 */
export function clientRequestIdOf(headers: IncomingHttpHeaders): string | undefined {
  const given = headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : undefined;
}
