import { Pool, PoolClient } from 'pg';
import { assertNotAborted } from '../../ports/call-signal';
import { CallOptions } from '../../ports/vector.types';
import { checkUid } from './pgvector.naming';
import { PgvectorOptions } from './pgvector.options';

/** The transaction-local setting every row-level security policy compares the tenant uid to. */
export const TENANT_SETTING = 'vecgate.tenant_uid';

export type Query = PoolClient['query'];

/**
 * The two connections of the backend. The data plane runs every statement inside a
 * transaction that first names its tenant (`set_config(..., true)`, so the setting dies with
 * the transaction and never leaks to the next user of the connection) and, when a data role
 * is configured, switches to it with `SET LOCAL ROLE`. The admin side creates and drops
 * tables; it is the data-plane pool itself unless an admin URL is configured.
 */
export class PgvectorSession {
  private readonly data: Pool;
  private readonly admin: Pool;

  constructor(private readonly options: PgvectorOptions) {
    this.data = new Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.timeoutMs,
    });
    this.admin = options.adminUrl
      ? new Pool({
          connectionString: options.adminUrl,
          max: 1,
          connectionTimeoutMillis: options.timeoutMs,
        })
      : this.data;
    // An idle connection that drops must not take the process down with it.
    this.data.on('error', () => undefined);
    if (this.admin !== this.data) this.admin.on('error', () => undefined);
  }

  /** Runs `work` in one data-plane transaction scoped to the tenant `uid`. */
  async asTenant<T>(
    uid: string,
    call: CallOptions | undefined,
    work: (client: PoolClient) => Promise<T>,
  ): Promise<T> {
    checkUid(uid);
    // `set_config('role', ..., true)` is `SET LOCAL ROLE`: one round trip sets all three.
    const settings: [string, string][] = [[TENANT_SETTING, uid]];
    if (this.options.dataRole) settings.unshift(['role', this.options.dataRole]);
    return this.transaction(this.data, call, settings, work);
  }

  /** Runs `work` in one admin transaction, serialised with every other on `lockKey`. */
  async asAdmin<T>(lockKey: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.transaction(this.admin, undefined, [], async (client) => {
      // Two gateways creating the same shared table at once would otherwise collide in the
      // catalog (CREATE TABLE IF NOT EXISTS is not atomic against a concurrent one).
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);
      return work(client);
    });
  }

  /** The role the data plane's statements run as, as PostgreSQL reports it. */
  async dataRoleName(): Promise<string> {
    const uid = '0'.repeat(32);
    return this.asTenant(uid, undefined, async (client) => {
      const result = await client.query<{ role: string }>('SELECT current_user AS role');
      return result.rows[0]?.role ?? '';
    });
  }

  async ping(): Promise<void> {
    await this.data.query('SELECT 1');
    if (this.admin !== this.data) await this.admin.query('SELECT 1');
  }

  async close(): Promise<void> {
    // Shutdown hooks may run twice; a pool ends once.
    if (this.data.ended) return;
    await this.data.end();
    if (this.admin !== this.data) await this.admin.end();
  }

  /**
   * `work` between BEGIN and COMMIT, after the transaction-local `settings` and the
   * statement timeout (PGlite ignores it; a real server stops a statement that runs past it).
   */
  private async transaction<T>(
    pool: Pool,
    call: CallOptions | undefined,
    settings: readonly (readonly [string, string])[],
    work: (client: PoolClient) => Promise<T>,
  ): Promise<T> {
    assertNotAborted(call);
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const all = [...settings, ['statement_timeout', String(this.options.timeoutMs)]];
      await client.query(
        `SELECT ${all.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
        all.flat(),
      );
      const result = await work(client);
      // A request whose deadline passed while its statements ran is not committed.
      assertNotAborted(call);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollback) {
        broken = rollback as Error;
      }
      throw err;
    } finally {
      // A connection whose rollback failed is in an unknown state: closed, never reused.
      client.release(broken);
    }
  }
}
