import { Client } from 'pg';
import { TENANT_SETTING } from '@vecgate/isolation';

/** What the data plane's role sees and may write, probed with raw SQL around vecgate. */
export interface WallProbe {
  /** The connection, logged in as (or switching to) the data plane's role. */
  readonly client: Client;
  /** Statements run first in every transaction, e.g. `SET LOCAL ROLE vg_data` on PGlite. */
  readonly enter: readonly string[];
  /** A table or partition holding rows of both tenants (or of `own` only, for a partition). */
  readonly table: string;
  readonly own: string;
  readonly other: string;
  /** The vector value of an inserted row, in the table's column type. */
  readonly vector: string;
}

export interface WallFindings {
  /** Rows an unscoped `SELECT *` returns when no tenant is named. */
  readonly unscoped: number;
  /** Tenant uids an unscoped `SELECT *` returns when `own` is named. */
  readonly seen: string[];
  /** The SQLSTATE of inserting a row of `other` while `own` is named. */
  readonly foreignInsert: string;
  /** The SQLSTATE of moving an own row to `other` while `own` is named. */
  readonly foreignUpdate: string;
  /** Rows an unscoped `DELETE` removes when `own` is named, none of them `other`'s. */
  readonly deletedOther: number;
}

/**
 * Probes the row-level security wall with statements that carry no tenant condition of their
 * own, the way a bug in the gateway would send them. Every transaction is rolled back.
 */
export async function probeWall(probe: WallProbe): Promise<WallFindings> {
  const { client, table, own, other } = probe;
  const inTransaction = async <T>(name: string | undefined, body: () => Promise<T>) => {
    await client.query('BEGIN');
    try {
      for (const statement of probe.enter) await client.query(statement);
      if (name !== undefined) {
        await client.query('SELECT set_config($1, $2, true)', [TENANT_SETTING, name]);
      }
      return await body();
    } finally {
      await client.query('ROLLBACK');
    }
  };
  const sqlStateOf = async (sql: string, params: unknown[]): Promise<string> => {
    try {
      await inTransaction(own, () => client.query(sql, params));
      return 'none';
    } catch (err) {
      return String((err as { code?: unknown }).code);
    }
  };
  const unscoped = await inTransaction(undefined, async () => {
    return (await client.query(`SELECT * FROM ${table}`)).rowCount ?? 0;
  });
  const seen = await inTransaction(own, async () => {
    const rows = await client.query<{ t: string }>(`SELECT DISTINCT _vg_tenant AS t FROM ${table}`);
    return rows.rows.map((r) => r.t);
  });
  const foreignInsert = await sqlStateOf(
    `INSERT INTO ${table} (_vg_tenant, id, embedding) VALUES ($1, 'planted', $2)`,
    [other, probe.vector],
  );
  const foreignUpdate = await sqlStateOf(`UPDATE ${table} SET _vg_tenant = $1`, [other]);
  const deletedOther = await inTransaction(own, async () => {
    const gone = await client.query<{ t: string }>(
      `DELETE FROM ${table} RETURNING _vg_tenant AS t`,
    );
    return gone.rows.filter((r) => r.t !== own).length;
  });
  return { unscoped, seen, foreignInsert, foreignUpdate, deletedOther };
}
