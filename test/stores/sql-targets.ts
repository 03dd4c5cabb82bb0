import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { SqlDatabase, SqlDialectName } from '@vecgate/core';

/**
 * The SQL targets every store test runs on: the embedded SQLite file and PostgreSQL.
 *
 * PostgreSQL isolation: each store gets a database of its own (`vg_test_<random>`), created
 * from the admin URL and dropped afterwards. A schema per store selected through
 * `?options=-c search_path=...` does reach every pooled connection, but it does not isolate the
 * migrations: Kysely's Migrator looks for its `vg_migrations_<owner>` table in every schema of
 * the database, so a second schema (a parallel test file, a crashed run's leftover) is taken as
 * already migrated and the migration then fails with `relation "vg_migrations_<owner>_lock"
 * does not exist`. A database per store also keeps LISTEN/NOTIFY channels apart, which are
 * database-wide, not per schema.
 */

/** Admin connection (must be allowed to CREATE DATABASE); override with VECGATE_TEST_POSTGRES_URL. */
export const POSTGRES_ADMIN_URL =
  process.env.VECGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A store on one target: an empty SQLite file or an empty PostgreSQL database. */
export interface SqlStore {
  readonly dialect: SqlDialectName;
  /** Where the data lives (file path or database name), for messages. */
  readonly location: string;
  /**
   * Opens one more SqlDatabase on this store's data: a separate connection pool, which on
   * PostgreSQL is what a separate gateway replica has. Every handle is closed by `dispose`.
   */
  open(): SqlDatabase;
  /** Closes every handle still open, then drops the database or deletes the temp dir. */
  dispose(): Promise<void>;
}

export interface SqlTarget {
  readonly name: SqlDialectName;
  /** Set when the target cannot run here; its tests are skipped and the reason printed. */
  readonly skipReason?: string;
  create(): Promise<SqlStore>;
}

class TrackedHandles {
  private readonly open = new Set<SqlDatabase>();

  add(database: SqlDatabase): SqlDatabase {
    const close = database.close.bind(database);
    // A test that closes a handle itself must not have it closed a second time.
    database.close = async () => {
      if (!this.open.delete(database)) return;
      await close();
    };
    this.open.add(database);
    return database;
  }

  async closeAll(): Promise<void> {
    for (const database of [...this.open]) await database.close();
  }
}

const sqliteTarget: SqlTarget = {
  name: 'sqlite',
  create(): Promise<SqlStore> {
    const dir = mkdtempSync(join(tmpdir(), 'vecgate-store-'));
    const file = join(dir, 'vecgate.db');
    const handles = new TrackedHandles();
    return Promise.resolve({
      dialect: 'sqlite',
      location: file,
      open: () => handles.add(SqlDatabase.open({ sqliteFile: file })),
      dispose: async () => {
        await handles.closeAll();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
};

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function postgresTarget(skipReason: string | undefined): SqlTarget {
  return {
    name: 'postgres',
    skipReason,
    async create(): Promise<SqlStore> {
      const name = `vg_test_${randomBytes(6).toString('hex')}`;
      // template0: nobody is ever connected to it, so parallel test files cannot collide on it.
      await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE template0`));
      const url = databaseUrl(POSTGRES_ADMIN_URL, name);
      const handles = new TrackedHandles();
      return {
        dialect: 'postgres',
        location: name,
        open: () => handles.add(SqlDatabase.open({ databaseUrl: url, sqliteFile: '' })),
        dispose: async () => {
          await handles.closeAll();
          await withAdmin(async (admin) => {
            // pg's Pool.end resolves before its connections have left the server; a forced
            // drop would terminate them, and a closing client would raise that as an
            // unhandled error. Wait (at most 5 s) until they are gone.
            for (let i = 0; i < 100; i++) {
              const { rows } = await admin.query<{ n: string }>(
                'select count(*) as n from pg_stat_activity where datname = $1',
                [name],
              );
              if (Number(rows[0]?.n ?? 0) === 0) break;
              await new Promise((r) => setTimeout(r, 50));
            }
            await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          });
        },
      };
    },
  };
}

/**
 * Whether PostgreSQL answers and lets us create databases. Synchronous (a child process), so the
 * answer is known while jest collects the tests and the target can be skipped, not failed.
 */
function probePostgres(): string | undefined {
  const script = `
    const { Client } = require(process.argv[1]);
    const client = new Client({ connectionString: process.argv[2], connectionTimeoutMillis: 3000 });
    client.connect()
      .then(() => client.query("select rolcreatedb or rolsuper as ok from pg_roles where rolname = current_user"))
      .then((r) => client.end().then(() => {
        if (!r.rows[0] || !r.rows[0].ok) throw new Error('the role may not CREATE DATABASE');
      }))
      .then(() => process.exit(0), (e) => { process.stderr.write(String(e && e.message || e)); process.exit(1); });
  `;
  const result = spawnSync(
    process.execPath,
    ['-e', script, require.resolve('pg'), POSTGRES_ADMIN_URL],
    {
      encoding: 'utf8',
      timeout: 15_000,
    },
  );
  if (result.status === 0) return undefined;
  const why =
    result.error?.message ?? (result.stderr.trim() || `probe exited with ${result.status}`);
  return `PostgreSQL at ${new URL(POSTGRES_ADMIN_URL).host} is not usable: ${why}`;
}

let targets: SqlTarget[] | undefined;

/** SQLite always; PostgreSQL when reachable (otherwise listed with a skip reason, printed once). */
export function sqlTargets(): SqlTarget[] {
  if (!targets) {
    const reason = probePostgres();
    if (reason) console.warn(`skipping the PostgreSQL store tests: ${reason}`);
    targets = [sqliteTarget, postgresTarget(reason)];
  }
  return targets;
}

/**
 * A fresh store of `target` for the enclosing block: created before its tests, handed to `open`
 * (which opens the databases and services the tests use), and disposed of after them, once
 * `close` (the block's services) has run.
 */
export function withStore(
  target: SqlTarget,
  open: (store: SqlStore) => Promise<void>,
  options: { readonly close?: () => Promise<void>; readonly timeoutMs?: number } = {},
): void {
  let store: SqlStore | undefined;
  beforeAll(async () => {
    store = await target.create();
    await open(store);
  }, options.timeoutMs);
  afterAll(async () => {
    await options.close?.();
    await store?.dispose();
  });
}

/** `describe`, or `describe.skip` for a target that cannot run here. */
export function describeIfAvailable(target: SqlTarget): jest.Describe {
  return target.skipReason ? describe.skip : describe;
}

/**
 * The message a promise rejects with. Use it instead of `rejects.toThrow()`: better-sqlite3's
 * native addon keeps the SqliteError class of the first test file that loaded it, so in a
 * later file of the same jest worker its errors are not `instanceof Error` of that file's realm,
 * and `toThrow` reports "did not throw" although the promise did reject.
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const message = (err as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message : String(err);
  }
  throw new Error('expected the promise to reject, but it resolved');
}
