import { Client } from 'pg';

/**
 * The columns and key of every pgvector record table in the release before namespaces (no
 * namespace column, key (uid, id)), frozen here to build the tables that release left behind.
 */
export function previousColumns(embedding: string): string {
  return (
    `_vg_tenant text NOT NULL, id text NOT NULL, embedding ${embedding} NOT NULL, ` +
    'metadata jsonb, PRIMARY KEY (_vg_tenant, id)'
  );
}

export interface PrimaryKey {
  readonly table: string;
  readonly key: string;
  readonly columns: string[];
  readonly oid: string;
}

/** The primary key of every vecgate table and partition, by table name. */
export async function primaryKeys(client: Client): Promise<PrimaryKey[]> {
  const result = await client.query<PrimaryKey>(
    `SELECT c.relname::text AS table, k.conname::text AS key, k.oid::text AS oid,
            (SELECT array_agg(a.attname::text ORDER BY n.i)
               FROM unnest(k.conkey) WITH ORDINALITY AS n(attnum, i)
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = n.attnum) AS columns
       FROM pg_class c JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
      WHERE c.relname LIKE 'vg\\_%' ORDER BY c.relname`,
  );
  return result.rows;
}
