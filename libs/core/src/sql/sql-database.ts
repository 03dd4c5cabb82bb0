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
import { Client, Pool, types as pgTypes } from 'pg';
import { SqlDialectName, SqlOptions } from './sql.options';
import { SqliteCommitWorker } from './sqlite-commit-worker';
import { openSqliteFile } from './sqlite-file';

type Unsubscribe = () => Promise<void>;

/** int8 and numeric come back from pg as strings; every such column here holds epoch ms or counts. */
const pgTypeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pgTypes.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

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
    private readonly committer?: SqliteCommitWorker,
  ) {}

  static open(options: SqlOptions): SqlDatabase {
    const url = options.databaseUrl;
    if (url && /^postgres(ql)?:\/\//.test(url)) {
      const pool = new Pool({ connectionString: url, max: 10, types: pgTypeParsers });
      return new SqlDatabase(
        new Kysely({ dialect: new PostgresDialect({ pool }) }),
        'postgres',
        url,
      );
    }
    if (url) throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
    const database = openSqliteFile(options.sqliteFile);
    return new SqlDatabase(
      new Kysely({ dialect: new SqliteDialect({ database }) }),
      'sqlite',
      undefined,
      new SqliteCommitWorker(options.sqliteFile),
    );
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
   * Listens on a PostgreSQL channel with a dedicated connection that reconnects on failure;
   * `onReconnect` lets the caller drop caches that may have missed notifications.
   */
  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void,
  ): Promise<Unsubscribe> {
    if (this.dialect !== 'postgres' || !this.databaseUrl) return () => Promise.resolve();
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
    let stopped = false;
    let current: Client | undefined;
    const connect = async (): Promise<void> => {
      const client = new Client({ connectionString: this.databaseUrl });
      client.on('notification', (message) => {
        if (message.channel === channel) onMessage(message.payload ?? '');
      });
      client.on('error', (err) => {
        this.logger.warn(`listen connection lost: ${err.message}`);
        this.listeners.delete(client);
        void client.end().catch(() => undefined);
        if (!stopped) setTimeout(() => void reconnect(), 1000).unref();
      });
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      current = client;
      this.listeners.add(client);
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
