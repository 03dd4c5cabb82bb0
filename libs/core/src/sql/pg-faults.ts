import { UnavailableError } from '../errors/vecgate.error';

/**
 * SQLSTATE classes that mean "the database is away", not "the statement is wrong": connection
 * exceptions (08), operator intervention such as `pg_terminate_backend` or a shutdown (57P0x),
 * a statement cancelled by `statement_timeout` (57014), too many connections (53300).
 */
const AWAY_SQLSTATE = /^(08...|57P0.|57014|53300)$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * True when an error from pg says the database could not be reached or stopped answering. The
 * driver's own failures (refused, reset, timed out, "Connection terminated") carry no SQLSTATE;
 * a statement the server rejected (a unique violation, a syntax error) carries one and stays as
 * it is, so callers can still act on it.
 */
export function isDatabaseAway(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && SQLSTATE.test(code)) return AWAY_SQLSTATE.test(code);
  return true;
}

/** The 503 a request gets while the registry/audit database is away. */
export function databaseUnavailable(err: Error): UnavailableError {
  const unavailable = new UnavailableError(
    `the registry database is unavailable (${err.message}); retry shortly`,
    2,
    'database_unavailable',
  );
  // Kept for start-up, which reports the driver's own words next to DATABASE_URL.
  unavailable.cause = err;
  return unavailable;
}

/** A DATABASE_URL safe to print: the password is never shown. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
