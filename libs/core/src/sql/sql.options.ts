export type SqlDialectName = 'sqlite' | 'postgres';

/** Bounds on every PostgreSQL wait, so a hung or vanished database answers 503, never hangs. */
export interface SqlTimeouts {
  /** Opening a connection, or waiting for a free one in the pool. */
  readonly connectMs: number;
  /** One statement; enforced by the server and, for a server that stopped answering, by the client. */
  readonly statementMs: number;
  /** An idle pooled connection is closed after this. */
  readonly idleMs: number;
}

export const DEFAULT_SQL_TIMEOUTS: SqlTimeouts = {
  connectMs: 5000,
  statementMs: 10_000,
  idleMs: 30_000,
};

export interface SqlOptions {
  /** `postgres://...` selects PostgreSQL; unset selects SQLite at `sqliteFile`. */
  databaseUrl?: string;
  sqliteFile: string;
  timeouts?: SqlTimeouts;
}
