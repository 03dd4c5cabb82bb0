// Relative imports only: the worker half of this file runs inside the engine threads.
import {
  BackendError,
  CapacityError,
  UnavailableError,
  UnprocessableError,
} from '../../../../core/src/errors/vecgate.error';

/** A failed job as it crosses from an engine worker to the main thread: plain data. */
export interface EngineFault {
  readonly message: string;
  /** SQLite's extended result code (`SQLITE_BUSY_TIMEOUT`, ...) when SQLite raised the error. */
  readonly code?: string;
}

const SQLITE_CODE = /^SQLITE_[A-Z_]+$/;

/** In the worker: what a job threw, reduced to what the main thread maps. */
export function engineFault(error: unknown): EngineFault {
  const raised = error as { message?: unknown; code?: unknown } | null;
  const message = typeof raised?.message === 'string' ? raised.message : String(error);
  const code = raised?.code;
  return typeof code === 'string' && SQLITE_CODE.test(code) ? { message, code } : { message };
}

/**
 * On the main thread: a worker's fault as the gateway's error. SQLite's own text (it can name
 * tables, so uids) is kept as the cause, for the log only; the message names the operation and
 * the result code.
 * - busy or locked past `busy_timeout` (another worker holds the file's write lock, as during a
 *   table upgrade): 503, retry;
 * - the disk is full: 507;
 * - a value SQLite refuses (a constraint, a string or blob over its limits): 422;
 * - any other SQLite failure (I/O, corruption, a file that cannot be opened): 502;
 * - anything else is a broken invariant of the backend itself (a placement that does not
 *   match its uid): kept as a plain error, an internal failure.
 */
export function embeddedError(operation: string, fault: EngineFault): Error {
  const { code } = fault;
  if (code === undefined) return new Error(fault.message);
  let error: Error;
  switch (primary(code)) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      error = new UnavailableError(`the embedded store is busy (${operation}: ${code})`, 1, 'busy');
      break;
    case 'SQLITE_FULL':
      error = new CapacityError(`the embedded data directory is full (${operation})`, 'disk');
      break;
    case 'SQLITE_CONSTRAINT':
    case 'SQLITE_TOOBIG':
      error = new UnprocessableError(`the embedded store refused a value (${operation}: ${code})`);
      break;
    default:
      error = new BackendError(`embedded ${operation} failed (${code})`);
  }
  error.cause = new Error(fault.message);
  return error;
}

/** `SQLITE_BUSY_TIMEOUT` → `SQLITE_BUSY`: the primary result code of an extended one. */
function primary(code: string): string {
  const second = code.indexOf('_', 'SQLITE_'.length);
  return second < 0 ? code : code.slice(0, second);
}
