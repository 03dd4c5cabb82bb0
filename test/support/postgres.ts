import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { POSTGRES_ADMIN_URL } from '../stores/sql-targets';

/** Runs `fn` on an admin connection to the local PostgreSQL. */
export function pgAdmin<T>(
  fn: (client: Client) => Promise<T>,
  adminUrl = POSTGRES_ADMIN_URL,
): Promise<T> {
  return withClient(adminUrl, fn);
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

/** Runs `body` on one connection to `url`, closed afterwards. */
export async function withClient<T>(url: string, body: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own with the two roles docs/backends/pgvector.md asks operators for: an
 * owner login that creates the tables and a data login that owns nothing, neither a superuser
 * nor with BYPASSRLS.
 */
export interface RoleDatabase {
  readonly name: string;
  readonly owner: string;
  readonly data: string;
  /** The database's URL as `user`, or as the admin login. */
  url(user?: string): string;
  /** Drops the database and both roles. */
  drop(): Promise<void>;
}

export async function createRoleDatabase(
  prefix: string,
  adminUrl = POSTGRES_ADMIN_URL,
): Promise<RoleDatabase> {
  const suffix = randomBytes(5).toString('hex');
  const [name, owner, data] = [`${prefix}_${suffix}`, `vg_owner_${suffix}`, `vg_data_${suffix}`];
  await withClient(adminUrl, async (admin) => {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    for (const role of [owner, data]) {
      await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS`);
    }
  });
  const url = (user?: string): string => {
    const at = new URL(adminUrl);
    at.pathname = `/${name}`;
    if (user) at.username = user;
    return at.toString();
  };
  await withClient(url(), (admin) => admin.query(`GRANT CREATE ON SCHEMA public TO ${owner}`));
  return {
    name,
    owner,
    data,
    url,
    drop: () =>
      withClient(adminUrl, async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        for (const role of [data, owner]) await admin.query(`DROP ROLE IF EXISTS ${role}`);
      }),
  };
}
