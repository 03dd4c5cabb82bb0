import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { POSTGRES_ADMIN_URL } from '../stores/sql-targets';

/** Runs `fn` on an admin connection to the local PostgreSQL. */
export async function pgAdmin<T>(
  fn: (client: Client) => Promise<T>,
  adminUrl = POSTGRES_ADMIN_URL,
): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database of its own for one test file, so parallel runs never collide. */
export interface TempDatabase {
  readonly name: string;
  readonly url: string;
  /** Terminates every connection to it (what an operator's `pg_terminate_backend` does). */
  terminateConnections(): Promise<number>;
  drop(): Promise<void>;
}

export async function createTempDatabase(
  prefix = 'vg_e2e',
  adminUrl = POSTGRES_ADMIN_URL,
): Promise<TempDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = <T>(fn: (client: Client) => Promise<T>) => pgAdmin(fn, adminUrl);
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    terminateConnections: () =>
      admin(async (c) => {
        const result = await c.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [name],
        );
        return result.rowCount ?? 0;
      }),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(),
  };
}
