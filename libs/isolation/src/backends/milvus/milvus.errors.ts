import { BackendError, CapacityError, UnavailableError, VecgateError } from '@vecgate/core';
import { MilvusScopeError } from './milvus.naming';

/** The `common.Status` of a Milvus answer, as the SDK decodes it. */
export interface MilvusStatus {
  readonly error_code?: string | number;
  readonly code?: number | string;
  readonly reason?: string;
  readonly retriable?: boolean;
}

/**
 * Milvus error codes (`pkg/util/merr/errors.go`) that mean "try again later": service not
 * ready (1), unavailable (2), request limit (4), rate limit (8), resource insufficient (12),
 * timeout (10001). They answer 503; every other failure is 502.
 */
const UNAVAILABLE_CODES = new Set([1, 2, 4, 8, 12, 10001]);
const UNAVAILABLE_LEGACY = new Set(['NotReadyServe', 'RateLimit']);

/** Codes Milvus answers when one of its own limits refuses a create: 507, like our checks. */
const CAPACITY_CODES: ReadonlyMap<number, string> = new Map([
  [801, 'milvus.databases'],
  [102, 'milvus.collections'],
  [250, 'milvus.capacity'],
]);

/** Not-found codes: collection (100), partition (200), database (800), index (700). */
const NOT_FOUND_CODES = new Set([100, 200, 700, 800]);
const NOT_FOUND_LEGACY = new Set(['CollectionNotExists', 'IndexNotExist']);

/** gRPC codes of a transport failure worth retrying: 503. */
const GRPC_UNAVAILABLE = new Set([
  1, // CANCELLED
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  14, // UNAVAILABLE
]);

/** Our words for the codes we meet; Milvus's own reason text can echo names and values. */
const CODE_TEXT: ReadonlyMap<number, string> = new Map([
  [1, 'service not ready'],
  [2, 'service unavailable'],
  [3, 'memory limit exceeded'],
  [4, 'request limit exceeded'],
  [8, 'rate limit exceeded'],
  [9, 'quota exceeded'],
  [12, 'resource insufficient'],
  [100, 'collection not found'],
  [101, 'collection not loaded'],
  [102, 'collection limit reached'],
  [103, 'collection not fully loaded'],
  [200, 'partition not found'],
  [201, 'partition not loaded'],
  [250, 'capacity exceeded'],
  [700, 'index not found'],
  [800, 'database not found'],
  [801, 'database limit reached'],
  [1100, 'invalid parameter'],
  [1400, 'not authenticated'],
  [1401, 'privilege not permitted'],
  [10001, 'timeout'],
]);

const GRPC_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'CANCELLED'],
  [2, 'UNKNOWN'],
  [3, 'INVALID_ARGUMENT'],
  [4, 'DEADLINE_EXCEEDED'],
  [5, 'NOT_FOUND'],
  [7, 'PERMISSION_DENIED'],
  [8, 'RESOURCE_EXHAUSTED'],
  [12, 'UNIMPLEMENTED'],
  [13, 'INTERNAL'],
  [14, 'UNAVAILABLE'],
  [16, 'UNAUTHENTICATED'],
]);

function codeOf(status: MilvusStatus): number {
  const code = Number(status.code ?? 0);
  return Number.isFinite(code) ? code : -1;
}

/**
 * Success needs both the legacy `error_code` and the newer numeric `code` to say so: a
 * server may fill only one of them.
 */
export function isSuccess(status: MilvusStatus): boolean {
  const legacy = status.error_code;
  const legacyOk = legacy === undefined || legacy === 'Success' || legacy === 0 || legacy === '0';
  return legacyOk && codeOf(status) === 0;
}

export function isNotFound(status: MilvusStatus): boolean {
  if (isSuccess(status)) return false;
  if (NOT_FOUND_CODES.has(codeOf(status))) return true;
  if (typeof status.error_code === 'string' && NOT_FOUND_LEGACY.has(status.error_code)) return true;
  return /not[ _]?(found|exist)/i.test(status.reason ?? '');
}

function summary(status: MilvusStatus): string {
  const code = codeOf(status);
  const text = CODE_TEXT.get(code);
  if (text) return `${text} (code ${code})`;
  if (code !== 0) return `code ${code}`;
  return typeof status.error_code === 'string' ? status.error_code : 'error';
}

/**
 * Milvus's reason stays on the error as its `cause`, for logs, and out of the message, which
 * callers see and the audit trail keeps: a reason can quote stored names and values.
 */
function withCause<E extends Error>(error: E, cause: unknown): E {
  if (cause !== undefined && cause !== '') error.cause = cause;
  return error;
}

/** The error a non-success status stands for. */
export function statusError(operation: string, status: MilvusStatus): VecgateError {
  const code = codeOf(status);
  const legacy = typeof status.error_code === 'string' ? status.error_code : '';
  const message = `Milvus ${operation} failed: ${summary(status)}`;
  const capacity = CAPACITY_CODES.get(code);
  let error: VecgateError;
  if (capacity) error = new CapacityError(message, capacity);
  else if (
    UNAVAILABLE_CODES.has(code) ||
    UNAVAILABLE_LEGACY.has(legacy) ||
    status.retriable === true
  ) {
    error = new UnavailableError(message, 1, 'milvus_unavailable');
  } else error = new BackendError(message, { reason: 'milvus_error' });
  return withCause(error, status.reason);
}

/**
 * Throws unless the answer carries a success status. An answer without a status (the SDK
 * turns an UNIMPLEMENTED call into `{}`, for a bare status too) is an error: never a silent
 * empty result or a silent success.
 */
export function checkStatus(operation: string, status: MilvusStatus | undefined | null): void {
  // A bare status answered as `{}` (an UNIMPLEMENTED call, for one) names no code at all.
  if (!status || typeof status !== 'object' || !('error_code' in status || 'code' in status)) {
    throw new BackendError(`Milvus ${operation} answered without a status`, {
      reason: 'milvus_error',
    });
  }
  if (!isSuccess(status)) throw statusError(operation, status);
}

function isStatusLike(value: unknown): value is MilvusStatus {
  return typeof value === 'object' && value !== null && 'error_code' in value;
}

function isGrpcError(value: unknown): value is Error & { code: number; details?: string } {
  return value instanceof Error && typeof (value as { code?: unknown }).code === 'number';
}

/** Maps whatever an SDK call threw to a vecgate error (kept as is when it already is one). */
export function thrownError(operation: string, err: unknown): Error {
  if (err instanceof VecgateError || err instanceof MilvusScopeError) return err;
  if (isStatusLike(err)) return statusError(operation, err);
  if (isGrpcError(err)) {
    const name = GRPC_NAMES.get(err.code) ?? 'error';
    const message = `Milvus ${operation} failed: ${name} (gRPC ${err.code})`;
    const error = GRPC_UNAVAILABLE.has(err.code)
      ? new UnavailableError(message, 1, 'milvus_unavailable')
      : new BackendError(message, { reason: 'milvus_error' });
    return withCause(error, err);
  }
  return withCause(
    new BackendError(`Milvus ${operation} failed: unexpected answer`, { reason: 'milvus_error' }),
    err,
  );
}
