import { Logger } from '@nestjs/common';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { ClientConfig, Pool, PoolClient, types as pgTypes } from 'pg';
import { databaseUnavailable, isDatabaseAway } from './pg-faults';
import { SqlTimeouts } from './sql.options';

/** int8 and numeric come back from pg as strings; every such column here holds epoch ms or counts. */
const pgTypeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pgTypes.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

/** Connection settings every PostgreSQL connection of the process shares (pool and LISTEN). */
export function pgClientConfig(url: string, timeouts: SqlTimeouts): ClientConfig {
  return {
    connectionString: url,
    types: pgTypeParsers,
    connectionTimeoutMillis: timeouts.connectMs,
    // Server side: a slow statement is cancelled and an abandoned transaction does not hold locks.
    statement_timeout: timeouts.statementMs,
    idle_in_transaction_session_timeout: timeouts.statementMs * 2,
    // Client side: a server that accepts bytes and never answers still ends the wait.
    query_timeout: timeouts.statementMs + 1000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

/**
 * The pg pool behind Kysely, made to survive the database: an `error` listener (an idle
 * connection terminated by the server must not kill the process), bounded waits, connections
 * that failed are destroyed rather than reused, and "database away" errors become 503s.
 */
export class ResilientPgPool implements PostgresPool {
  private readonly logger = new Logger('SqlDatabase');
  readonly pool: Pool;
  private down = false;

  constructor(
    url: string,
    timeouts: SqlTimeouts,
    /** Runs when a query succeeds after a failure: caches that may have missed changes drop. */
    private readonly onBack: () => void,
  ) {
    this.pool = new Pool({
      ...pgClientConfig(url, timeouts),
      max: 10,
      idleTimeoutMillis: timeouts.idleMs,
    });
    this.pool.on('error', (err) => this.lost(err));
    // A checked-out connection reports a server-side termination as an 'error' event of its
    // own (the pool listens only while it is idle); unheard, that event would kill the process.
    // Attached on 'acquire', synchronously: the error can arrive in the same read as the
    // connection's readiness, before any awaiting caller runs.
    this.pool.on('acquire', (client) => {
      const listener = (err: Error): void => this.markBroken(client, err);
      this.errorListeners.set(client, listener);
      client.on('error', listener);
    });
    this.pool.on('release', (_err, client) => {
      const listener = this.errorListeners.get(client);
      if (listener) client.off('error', listener);
    });
  }

  private readonly broken = new WeakSet<PoolClient>();
  private readonly errorListeners = new WeakMap<PoolClient, (err: Error) => void>();

  async connect(): Promise<PostgresPoolClient> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.lost(err as Error);
      throw databaseUnavailable(err as Error);
    }
    return this.wrap(client);
  }

  end(): Promise<void> {
    return this.pool.end();
  }

  private wrap(client: PoolClient): PostgresPoolClient {
    const fail = (err: unknown): never => {
      if (isDatabaseAway(err)) {
        this.markBroken(client, err as Error);
        throw databaseUnavailable(err as Error);
      }
      throw err;
    };
    const query = ((sqlOrCursor: string | PostgresCursor<unknown>, parameters?: unknown[]) => {
      if (typeof sqlOrCursor !== 'string') return client.query(sqlOrCursor as never);
      return client.query(sqlOrCursor, parameters).then((result) => {
        this.back();
        return result as unknown as PostgresQueryResult<unknown>;
      }, fail);
    }) as PostgresPoolClient['query'];
    // A connection that failed may hold a half-read answer: it is destroyed, never reused.
    return {
      query,
      release: (destroy?: boolean) => client.release(destroy === true || this.broken.has(client)),
    };
  }

  private markBroken(client: PoolClient, err: Error): void {
    this.broken.add(client);
    this.lost(err);
  }

  private lost(err: Error): void {
    if (!this.down) this.logger.warn(`registry database connection lost: ${err.message}`);
    this.down = true;
  }

  private back(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.log('registry database reachable again');
    this.onBack();
  }
}
