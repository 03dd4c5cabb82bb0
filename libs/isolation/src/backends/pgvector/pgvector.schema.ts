import { MetricName, VectorSpace } from '../../ports/vector.types';
import { TENANT_FIELD } from '../../ports/backend-rules';
import { TENANT_SETTING } from './pgvector.session';

/** The column holding the tenant uid on every row, the name every backend stores it under. */
export const TENANT_COLUMN = TENANT_FIELD;

/** The column holding the record's namespace ('' for the default one) on every row. */
export const NAMESPACE_COLUMN = 'namespace';

/** The primary key of every record table, in order: tenant uid, namespace, id. */
export const KEY_COLUMNS = [TENANT_COLUMN, NAMESPACE_COLUMN, 'id'] as const;

/** The row-level security policy on every table and partition that holds tenant rows. */
export const POLICY_NAME = 'vg_tenant_wall';

/** pgvector's operator and HNSW operator class for each metric. */
export const METRIC_SQL: Readonly<Record<MetricName, { op: string; opclass: string }>> = {
  cosine: { op: '<=>', opclass: 'vector_cosine_ops' },
  euclidean: { op: '<->', opclass: 'vector_l2_ops' },
  dot: { op: '<#>', opclass: 'vector_ip_ops' },
};

/**
 * The columns of every record table, the vector held as `embedding` (`vector(<dimension>)`).
 * The key is (tenant uid, namespace, id): two tenants' equal ids never meet in a shared table,
 * nor two namespaces' equal ids in one tenant. A partitioned table's key must hold its
 * partition column (the uid), and does.
 */
export function recordColumns(embedding: string): string {
  return (
    `${TENANT_COLUMN} text NOT NULL, ${NAMESPACE_COLUMN} text NOT NULL DEFAULT '', ` +
    `id text NOT NULL, embedding ${embedding} NOT NULL, metadata jsonb, ` +
    `PRIMARY KEY (${KEY_COLUMNS.join(', ')})`
  );
}

function columns(space: VectorSpace): string {
  return recordColumns(`vector(${space.dimension})`);
}

/** A plain record table: the collection and partition_key strategies. */
export function createTable(table: string, space: VectorSpace): string[] {
  return [`CREATE TABLE IF NOT EXISTS ${table} (${columns(space)})`, createIndex(table, space)];
}

/** The partitioned table of a vector space; its index is inherited by every partition. */
export function createPartitioned(table: string, space: VectorSpace): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (${columns(space)}) PARTITION BY LIST (${TENANT_COLUMN})`,
    createIndex(table, space),
  ];
}

/** A tenant's partition; `uid` is checked as 32 hex characters before it gets here. */
export function createPartition(partition: string, parent: string, uid: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${partition} PARTITION OF ${parent} FOR VALUES IN ('${uid}')`,
  ];
}

function createIndex(table: string, space: VectorSpace): string {
  const { opclass } = METRIC_SQL[space.metric];
  return `CREATE INDEX IF NOT EXISTS ${table}_hnsw ON ${table} USING hnsw (embedding ${opclass})`;
}

/**
 * Row-level security, enabled and forced (so the owner is held too, superusers and BYPASSRLS
 * roles aside), with one policy whose USING and WITH CHECK both compare the row's tenant uid
 * to the transaction-local setting: a statement sees and writes only the rows of the tenant
 * its transaction named, and one that named none sees nothing. The policy is replaced, not
 * kept, so a repeated provisioning leaves exactly this shape.
 */
export function wall(table: string, grantee: string | undefined): string[] {
  const own = `${TENANT_COLUMN} = current_setting('${TENANT_SETTING}', true)`;
  const statements = [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `DROP POLICY IF EXISTS ${POLICY_NAME} ON ${table}`,
    `CREATE POLICY ${POLICY_NAME} ON ${table} USING (${own}) WITH CHECK (${own})`,
  ];
  if (grantee !== undefined) {
    statements.push(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${quoteIdent(grantee)}`);
  }
  return statements;
}

/** A role name as a quoted identifier (it comes from configuration or from `current_user`). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
