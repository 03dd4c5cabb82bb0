import { BackendError, UnavailableError, VecgateError } from '@vecgate/core';

/**
 * The client's errors carry no status field: it is known from the error's name, or (for the
 * statuses the client does not map, such as 429) from its message. 5xx answers never reach
 * the mapping: the client retries them and then throws `PineconeMaxRetriesExceededError`.
 */
const UNREACHABLE = new Set([
  'PineconeConnectionError',
  'PineconeMaxRetriesExceededError',
  'PineconeUnavailableError',
  'PineconeInternalServerError',
  'PineconeTimeoutError',
]);

const STATUS_OF: Readonly<Record<string, number>> = {
  PineconeBadRequestError: 400,
  PineconeAuthorizationError: 401,
  PineconeNotFoundError: 404,
  PineconeMethodNotAllowedError: 405,
  PineconeConflictError: 409,
  PineconeUnprocessableEntityError: 422,
  PineconeNotImplementedError: 501,
};

/** The HTTP status behind a client error, when it is known. */
export function pineconeStatus(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const mapped = STATUS_OF[err.name];
  if (mapped !== undefined) return mapped;
  if (err.name === 'PineconeUnmappedHttpError') {
    const match = /Status: (\d{3})\b/.exec(err.message);
    return match ? Number(match[1]) : undefined;
  }
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return pineconeStatus(err) === 404;
}

/**
 * Turns whatever the client threw into the gateway's answer: 503 when Pinecone could not be
 * reached or could not keep up (connection failures, timeouts, 5xx after the client's retries,
 * 429), 502 for every other refusal. The message is our own text: Pinecone's (with URLs and
 * request echoes) is kept as the cause, never sent to the caller or the audit trail.
 */
export function toGatewayError(err: unknown, action: string): VecgateError {
  if (err instanceof VecgateError) return err;
  const name = err instanceof Error ? err.name : 'unknown';
  const status = pineconeStatus(err);
  let mapped: VecgateError;
  if (UNREACHABLE.has(name) || (status !== undefined && status >= 500)) {
    mapped = new UnavailableError(
      `pinecone ${action} failed: Pinecone could not be reached or did not answer in time`,
      1,
      'pinecone_unavailable',
    );
  } else if (status === 429) {
    mapped = new UnavailableError(
      `pinecone ${action} failed: Pinecone is rate limiting the gateway (429)`,
      1,
      'pinecone_rate_limited',
    );
  } else if (status === 401 || name === 'PineconeAuthorizationError') {
    mapped = new BackendError(`pinecone ${action} failed: Pinecone refused the API key (401)`);
  } else if (name === 'PineconeBadRequestError') {
    // The client reports 400 and 403 alike.
    mapped = new BackendError(`pinecone ${action} failed: Pinecone refused the request (400/403)`);
  } else if (status !== undefined) {
    mapped = new BackendError(`pinecone ${action} failed: Pinecone answered ${status}`);
  } else {
    mapped = new BackendError(`pinecone ${action} failed: ${describeLocal(name)}`);
  }
  Object.defineProperty(mapped, 'cause', { value: err, enumerable: false });
  return mapped;
}

function describeLocal(name: string): string {
  if (name === 'PineconeArgumentError') return 'the client refused the request';
  if (name === 'PineconeConfigurationError') return 'the client is misconfigured';
  return 'unexpected error from the Pinecone client';
}

/** Runs a call to Pinecone and maps its failure. */
export async function guarded<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toGatewayError(err, action);
  }
}
