import {
  QdrantClientResourceExhaustedError,
  QdrantClientTimeoutError,
} from '@qdrant/js-client-rest';
import { BackendError, UnavailableError, VecgateError } from '@vecgate/core';

/** Error codes of a connection that could not be made or was cut: the server is unreachable. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** HTTP statuses that mean "try again later" rather than "this call is wrong". */
const UNAVAILABLE_STATUS = new Set([429, 502, 503, 504]);

/** Runs one Qdrant call and maps its failure (see `qdrantFailure`). */
export async function qdrantCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw qdrantFailure(operation, err);
  }
}

/**
 * Maps whatever a Qdrant call threw to the gateway's errors: an error status is a 502 naming
 * the operation and status; an unreachable, overloaded or timed-out server is a 503. Qdrant's
 * own error text is kept as the `cause` (for logs) and not put in the message, which reaches
 * the caller and the audit trail: it can echo stored names and values.
 */
export function qdrantFailure(operation: string, err: unknown): VecgateError {
  if (err instanceof VecgateError) return err;
  if (err instanceof QdrantClientResourceExhaustedError) {
    const retryAfter = Math.max(1, Math.ceil(err.retry_after));
    return withCause(
      new UnavailableError(`Qdrant is overloaded (${operation}); retry later`, retryAfter),
      err,
    );
  }
  // The client turns its abort into QdrantClientTimeoutError only when the abort passes its
  // `instanceof Error` check, which a DOMException from another realm (a test VM) fails.
  if (err instanceof QdrantClientTimeoutError || abortName(err)) {
    return withCause(new UnavailableError(`Qdrant did not answer in time (${operation})`), err);
  }
  const status = httpStatus(err);
  if (status !== undefined) {
    const phrase = statusText(err);
    const shown = phrase ? `HTTP ${status} ${phrase}` : `HTTP ${status}`;
    const error = UNAVAILABLE_STATUS.has(status)
      ? new UnavailableError(`Qdrant is unavailable (${operation}: ${shown})`)
      : new BackendError(`Qdrant refused ${operation} (${shown})`);
    return withCause(error, qdrantText(err));
  }
  const code = networkCode(err);
  if (code !== undefined) {
    return withCause(new UnavailableError(`Qdrant cannot be reached (${operation}: ${code})`), err);
  }
  return withCause(new BackendError(`Qdrant ${operation} failed`), err);
}

function abortName(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

function withCause<T extends Error>(error: T, cause: unknown): T {
  error.cause = cause;
  return error;
}

/** The status of an `ApiError` from the client's fetcher (the client does not export it). */
function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400
    ? status
    : undefined;
}

function statusText(err: unknown): string {
  const text = (err as { statusText?: unknown }).statusText;
  return typeof text === 'string' ? text.replace(/[^\x20-\x7e]/g, '').slice(0, 60) : '';
}

/** Qdrant's error body is `{status: {error: "..."}}`. */
function qdrantText(err: unknown): string {
  const data = (err as { data?: unknown }).data;
  const error = (data as { status?: { error?: unknown } } | undefined)?.status?.error;
  return typeof error === 'string' ? error : JSON.stringify(data ?? null);
}

/** Node's fetch (undici) throws `TypeError: fetch failed` with the socket error as its cause. */
function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE.has(code)) return code;
    // Several addresses tried (IPv6 and IPv4): an AggregateError holds each attempt's error.
    const errors = (current as { errors?: unknown }).errors;
    current =
      Array.isArray(errors) && errors.length > 0
        ? (errors[0] as unknown)
        : (current as { cause?: unknown }).cause;
  }
  return undefined;
}
