import { OpenedListPage, refuseCursor } from '../../ports/list-page';
import { LIST_SCAN_ROWS, ListPage, StoredRecord } from '../../ports/vector.types';
import { compileFilter, Params } from './pgvector.filter';
import { Row, toStored } from './pgvector.rows';
import { NAMESPACE_COLUMN, TENANT_COLUMN } from './pgvector.schema';
import { unstorable } from './pgvector.values';

/** A listed row; `matched` says whether it passed the prefix and the filter. */
export interface ListRow extends Row {
  readonly matched: boolean;
}

/** One page's statement, and how many rows it examines at most. */
export interface ListStatement {
  readonly sql: string;
  readonly params: Params;
  readonly examines: number;
}

/** `%`, `_` and the escape character itself, taken literally by `LIKE ... ESCAPE '\'`. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The statement of one page, by key on the primary key (tenant uid, namespace, id): the rows
 * after the cursor in the order of `id` (its collation, the database's default). Without a
 * prefix or filter it reads `limit` rows. With one it examines at most `LIST_SCAN_ROWS` rows
 * in a subquery and flags those that pass, so a selective filter is bounded work in one
 * statement on any collation; values and metadata are read for flagged rows only. A prefix
 * also starts the scan at the prefix (no id that starts with it sorts before it).
 */
export function listStatement(
  table: string,
  params: Params,
  opened: OpenedListPage,
  page: ListPage,
): ListStatement {
  if (opened.after !== undefined && unstorable(opened.after)) refuseCursor();
  const keyed = `${TENANT_COLUMN} = $1 AND ${NAMESPACE_COLUMN} = $2 AND id > $3`;
  params.push(opened.after ?? '');
  const narrowed = opened.prefix !== '' || page.filter !== undefined;
  const examines = narrowed ? LIST_SCAN_ROWS : opened.limit;
  const conditions: string[] = [];
  let start = '';
  if (opened.prefix !== '') {
    params.push(opened.prefix, likePrefix(opened.prefix));
    start = ` AND id >= $${params.length - 1}`;
    conditions.push(`id LIKE $${params.length} ESCAPE '\\'`);
  }
  if (page.filter) conditions.push(compileFilter(page.filter, params));
  const matched = conditions.length > 0 ? conditions.join(' AND ') : 'true';
  params.push(examines);
  const wanted = (column: string, as: string): string => `CASE WHEN m THEN ${column} END AS ${as}`;
  const columns = [
    'tenant',
    'namespace',
    'id',
    'm AS matched',
    ...(page.includeValues ? [wanted('embedding::text', 'embedding')] : []),
    ...(page.includeMetadata ? [wanted('metadata', 'metadata')] : []),
  ];
  const sql = `SELECT ${columns.join(', ')} FROM (
      SELECT ${TENANT_COLUMN} AS tenant, ${NAMESPACE_COLUMN} AS namespace, id, embedding,
             metadata, COALESCE(${matched}, false) AS m
      FROM ${table} WHERE ${keyed}${start} ORDER BY id LIMIT $${params.length}
    ) examined ORDER BY id`;
  return { sql, params, examines };
}

/**
 * The page the rows make: the flagged ones up to `limit`, and the id it ended at while more
 * may remain (a full page, or every row the statement could examine).
 */
export function pageOf(
  rows: readonly ListRow[],
  statement: ListStatement,
  opened: OpenedListPage,
  page: ListPage,
): { records: StoredRecord[]; last?: string } {
  const records: StoredRecord[] = [];
  for (const row of rows) {
    if (row.matched) records.push(toStored(row, page));
    if (records.length === opened.limit) return { records, last: row.id };
  }
  const end = rows[rows.length - 1];
  return rows.length < statement.examines || !end ? { records } : { records, last: end.id };
}
