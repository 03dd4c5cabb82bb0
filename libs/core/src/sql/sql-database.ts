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
import { Client } from 'pg';
import { redactDatabaseUrl } from './pg-faults';
import { pgClientConfig, ResilientPgPool } from './pg-pool';
import { DEFAULT_SQL_TIMEOUTS, SqlDialectName, SqlOptions, SqlTimeouts } from './sql.options';
import { SqliteCommitWorker } from './sqlite-commit-worker';
import { openSqliteFile } from './sqlite-file';

type Unsubscribe = () => Promise<void>;

/** How often a LISTEN connection proves it still answers (a stalled link sends no error). */
const LISTEN_PING_MS = 10_000;

/**
 * The one SQL connection of the process (tenant registry, audit store). Each library owns its
 * tables and migrations and views this database through its own table types.
 */
export class SqlDatabase {
  private readonly logger = new Logger(SqlDatabase.name);
  private readonly listeners = new Set<Client>();

  private constructor(
    private readonly raw: Kysely<object>,
    readonly dialect: SqlDialectName,
    private readonly databaseUrl: string | undefined,
    private readonly timeouts: SqlTimeouts,
    /** Called when the database is back after an outage: caches may have missed changes. */
    private readonly reconnectHandlers = new Set<() => void>(),
    private readonly committer?: SqliteCommitWorker,
  ) {}

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
    const database = openSqliteFile(options.sqliteFile);
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

  /** Runs a library's migrations, tracked in a table of its own so libraries stay independent. */
  async migrate(owner: string, migrations: Record<string, Migration>): Promise<void> {
    // Pin the bookkeeping tables to the current schema: left to itself the migrator can find
    // another schema's tables of the same name on PostgreSQL.
    const schema =
      this.dialect === 'postgres'
        ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(this.raw))
            .rows[0]?.schema
        : undefined;
    const migrator = new Migrator({
      db: this.raw,
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

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.raw);
  }

  /** Publishes a change to every replica (PostgreSQL only; a no-op on SQLite, which has one). */
  async notify(channel: string, payload: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await sql`select pg_notify(${channel}, ${payload})`.execute(this.raw);
  }

  /**
   * Listens on a PostgreSQL channel with a dedicated connection that reconnects on failure and
   * pings now and then (a stalled link raises no error by itself); `onReconnect` lets the caller
   * drop caches that may have missed notifications, and also runs when the pool sees the
   * database again after an outage.
   */
  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void,
  ): Promise<Unsubscribe> {
    if (this.dialect !== 'postgres' || !this.databaseUrl) return () => Promise.resolve();
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
    const forget = this.onReconnect(onReconnect);
    const url = this.databaseUrl;
    let stopped = false;
    let current: Client | undefined;
    let pinger: NodeJS.Timeout | undefined;
    const drop = (client: Client, err: Error): void => {
      if (current !== client) return;
      current = undefined;
      clearInterval(pinger);
      this.logger.warn(`listen connection lost: ${err.message}`);
      this.listeners.delete(client);
      void client.end().catch(() => undefined);
      if (!stopped) setTimeout(() => void reconnect(), 1000).unref();
    };
    const connect = async (): Promise<void> => {
      const client = new Client(pgClientConfig(url, this.timeouts));
      client.on('notification', (message) => {
        if (message.channel === channel) onMessage(message.payload ?? '');
      });
      client.on('error', (err) => drop(client, err));
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
      } catch (err) {
        void client.end().catch(() => undefined);
        throw err;
      }
      current = client;
      this.listeners.add(client);
      pinger = setInterval(() => {
        client.query('select 1').catch((err: Error) => drop(client, err));
      }, LISTEN_PING_MS).unref();
    };
    const reconnect = async (): Promise<void> => {
      try {
        await connect();
        onReconnect();
      } catch (err) {
        this.logger.warn(`listen reconnect failed: ${(err as Error).message}`);
        if (!stopped) setTimeout(() => void reconnect(), 2000).unref();
      }
    };
    await connect();
    return async () => {
      stopped = true;
      forget();
      clearInterval(pinger);
      if (current) {
        this.listeners.delete(current);
        await current.end().catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    for (const client of this.listeners) await client.end().catch(() => undefined);
    this.listeners.clear();
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
