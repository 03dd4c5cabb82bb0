import { Logger } from '@nestjs/common';
import {
  CompiledQuery,
  Kysely,
  Migration,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
} from 'kysely';
import { Pool } from 'pg';
import { PgListener, Unsubscribe } from './pg-listener';
import { redactDatabaseUrl } from './pg-faults';
import { pgClientConfig, ResilientPgPool } from './pg-pool';
import { DEFAULT_SQL_TIMEOUTS, SqlDialectName, SqlOptions, SqlTimeouts } from './sql.options';
import { SqliteCommitWorker } from './sqlite-commit-worker';
import { openSqliteFile } from './sqlite-file';

/**
 * The one SQL connection of the process (tenant registry, audit store). Each library owns its
 * tables and migrations and views this database through its own table types.
 */
export class SqlDatabase {
  private readonly logger = new Logger(SqlDatabase.name);
  private readonly listener?: PgListener;

  private constructor(
    private readonly raw: Kysely<object>,
    readonly dialect: SqlDialectName,
    private readonly databaseUrl: string | undefined,
    private readonly timeouts: SqlTimeouts,
    /** Called when the database is back after an outage: caches may have missed changes. */
    private readonly reconnectHandlers = new Set<() => void>(),
    private readonly committer?: SqliteCommitWorker,
  ) {
    if (dialect === 'postgres' && databaseUrl)
      this.listener = new PgListener(databaseUrl, timeouts);
  }

  static open(options: SqlOptions): SqlDatabase {
    const url = options.databaseUrl;
    const timeouts = options.timeouts ?? DEFAULT_SQL_TIMEOUTS;
    if (url && /^postgres(ql)?:\/\//.test(url)) {
      const handlers = new Set<() => void>();
      const pool = new ResilientPgPool(url, timeouts, () => handlers.forEach((h) => h()));
      return new SqlDatabase(
        new Kysely({ dialect: new PostgresDialect({ pool }) }),
        'postgres',
        url,
        timeouts,
        handlers,
      );
    }
    if (url) throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
    let database;
    try {
      database = openSqliteFile(options.sqliteFile);
    } catch (err) {
      // SQLite says only "unable to open database file": name the file and the setting.
      throw new Error(
        `DATA_DIR: cannot open ${options.sqliteFile} (${(err as Error).message}); ` +
          'check that the directory and the file belong to the user the gateway runs as',
        { cause: err },
      );
    }
    return new SqlDatabase(
      new Kysely({ dialect: new SqliteDialect({ database }) }),
      'sqlite',
      undefined,
      timeouts,
      undefined,
      new SqliteCommitWorker(options.sqliteFile),
    );
  }

  /** Registers work to run when the database answers again after an outage. */
  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  /**
   * Start-up check: the database answers within the connect timeout. A refused, unknown or hung
   * server fails here with a message naming DATABASE_URL instead of hanging or crashing later.
   */
  async verify(): Promise<void> {
    if (this.dialect !== 'postgres' || !this.databaseUrl) return;
    const bound = this.timeouts.connectMs + this.timeouts.statementMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${bound} ms`)), bound);
    });
    try {
      await Promise.race([this.ping(), timeout]);
    } catch (err) {
      const cause = (err as { cause?: Error }).cause ?? (err as Error);
      throw new Error(
        `DATABASE_URL: cannot use the PostgreSQL database at ${redactDatabaseUrl(this.databaseUrl)}: ${describe(cause)}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** The connection viewed through a library's own table types. */
  kysely<Tables>(): Kysely<Tables> {
    return this.raw as unknown as Kysely<Tables>;
  }

  /**
   * Runs a library's migrations, tracked in a table of its own so libraries stay independent.
   * On PostgreSQL through a connection of their own without the statement bounds of request
   * work: an index built on a large audit table may rightly take minutes.
   */
  async migrate(owner: string, migrations: Record<string, Migration>): Promise<void> {
    if (this.dialect !== 'postgres' || !this.databaseUrl) {
      await this.runMigrations(this.raw, owner, migrations);
      return;
    }
    const pool = new Pool({
      ...pgClientConfig(this.databaseUrl, this.timeouts),
      statement_timeout: undefined,
      query_timeout: undefined,
      max: 1,
    });
    // A connection lost while idle must not kill the process; the migration itself fails.
    pool.on('error', (err) => this.logger.warn(`migration connection lost: ${err.message}`));
    const unbounded = new Kysely<object>({ dialect: new PostgresDialect({ pool }) });
    try {
      await this.runMigrations(unbounded, owner, migrations);
    } finally {
      await unbounded.destroy();
    }
  }

  private async runMigrations(
    db: Kysely<object>,
    owner: string,
    migrations: Record<string, Migration>,
  ): Promise<void> {
    // Pin the bookkeeping tables to the current schema: left to itself the migrator can find
    // another schema's tables of the same name on PostgreSQL.
    const schema =
      this.dialect === 'postgres'
        ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]
            ?.schema
        : undefined;
    const migrator = new Migrator({
      db,
      provider: { getMigrations: () => Promise.resolve(migrations) },
      migrationTableName: `vg_migrations_${owner}`,
      migrationLockTableName: `vg_migrations_${owner}_lock`,
      ...(schema ? { migrationTableSchema: schema } : {}),
    });
    const { error, results } = await migrator.migrateToLatest();
    for (const result of results ?? []) {
      if (result.status === 'Error')
        this.logger.error(`migration ${owner}/${result.migrationName} failed`);
    }
    if (error) throw error instanceof Error ? error : new Error(`migration ${owner} failed`);
  }

  /**
   * Commits a batch of compiled writes in one transaction, off the event loop: on SQLite in a
   * worker thread with its own connection (the fsync of a durable commit never stalls
   * requests), on PostgreSQL through the pool.
   */
  async writeBatch(queries: readonly CompiledQuery[]): Promise<void> {
    if (this.committer) {
      await this.committer.execute(queries.map((q) => ({ sql: q.sql, parameters: q.parameters })));
      return;
    }
    await this.raw.transaction().execute(async (trx) => {
      for (const query of queries) await trx.executeQuery(query);
    });
  }

  /**
   * A pool of `max` connections of its own to the PostgreSQL registry, for work that holds a
   * session (advisory locks): none on SQLite, which serves one process.
   */
  sessionPool(max: number): Pool | undefined {
    if (this.dialect !== 'postgres' || !this.databaseUrl) return undefined;
    const pool = new Pool({
      ...pgClientConfig(this.databaseUrl, this.timeouts),
      max,
      idleTimeoutMillis: this.timeouts.idleMs,
    });
    pool.on('error', (err) => this.logger.warn(`session connection lost: ${err.message}`));
    return pool;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.raw);
  }

  /** Publishes a change to every replica (PostgreSQL only; a no-op on SQLite, which has one). */
  async notify(channel: string, payload: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await sql`select pg_notify(${channel}, ${payload})`.execute(this.raw);
  }

  /**
   * Listens on a PostgreSQL channel (see PgListener); `onReconnect` also runs when the pool
   * sees the database again after an outage. A no-op on SQLite, which has one process.
   */
  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void,
  ): Promise<Unsubscribe> {
    if (!this.listener) return () => Promise.resolve();
    const forget = this.onReconnect(onReconnect);
    const stop = await this.listener.listen(channel, onMessage, onReconnect);
    return async () => {
      forget();
      await stop();
    };
  }

  async close(): Promise<void> {
    await this.listener?.close();
    await this.committer?.close();
    await this.raw.destroy();
  }
}

/** A connection error in words an operator can act on (pg's own are often just a code). */
function describe(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code)
    ? `${code} ${err.message}`
    : err.message;
}
