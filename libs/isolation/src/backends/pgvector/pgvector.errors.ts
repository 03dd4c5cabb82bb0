import {
  BackendError,
  DeadlineExceededError,
  UnavailableError,
  UnprocessableError,
  VecgateError,
} from '@vecgate/core';
import { PgvectorScopeError } from './pgvector.naming';

/** Runs one backend operation and turns whatever it throws into a VecgateError. */
export async function pgvectorCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw pgvectorFailure(operation, err);
  }
}

/**
 * Driver errors → VecgateError, by SQLSTATE. A value PostgreSQL refuses (class 22: a NUL
 * character, which neither `text` nor `jsonb` can hold; a number out of range) is the
 * caller's 422, naming PostgreSQL's reason; a statement stopped by `statement_timeout` is the
 * request's deadline; a server that is gone or shutting down is unavailable; anything else is
 * a backend failure, with the driver error kept as the cause for the log only.
 */
export function pgvectorFailure(operation: string, err: unknown): Error {
  // A refused placement is vecgate's own invariant, not PostgreSQL's failure: kept as it is.
  if (err instanceof VecgateError || err instanceof PgvectorScopeError) return err;
  // A Node system error (it names its syscall: connect, read, write...) is the network.
  const system = err as { code?: unknown; syscall?: unknown } | null;
  if (typeof system?.syscall === 'string' && typeof system.code === 'string') {
    return withCause(
      new UnavailableError(`PostgreSQL cannot be reached (${operation}: ${system.code})`),
      err,
    );
  }
  const code = sqlState(err);
  const message = (err as { message?: unknown } | null)?.message;
  const reason = typeof message === 'string' ? message : 'unknown error';
  if (code?.startsWith('22')) {
    return withCause(new UnprocessableError(`PostgreSQL refused a value: ${reason}`), err);
  }
  if (code === '57014') {
    return withCause(new DeadlineExceededError(`PostgreSQL stopped ${operation}: ${reason}`), err);
  }
  if (code?.startsWith('08') || code === '57P01' || code === '57P03' || code === '53300') {
    return withCause(new UnavailableError(`PostgreSQL is unavailable (${operation})`), err);
  }
  if (reason.includes('Connection terminated') || reason.includes('timeout exceeded when')) {
    return withCause(new UnavailableError(`PostgreSQL is unavailable (${operation})`), err);
  }
  const shown = code ? ` (SQLSTATE ${code})` : '';
  return withCause(new BackendError(`PostgreSQL ${operation} failed${shown}`), err);
}

/** The five-character SQLSTATE of a server error, when the error is one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function withCause<T extends Error>(error: T, cause: unknown): T {
  error.cause = cause;
  return error;
}
