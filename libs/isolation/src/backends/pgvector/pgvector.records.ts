import { PoolClient } from 'pg';
import { toScore } from '../../ports/backend-rules';
import { abandonOnAbort } from '../../ports/call-signal';
import { listCursor, openListPage } from '../../ports/list-page';
import { TenantVectorStore } from '../../ports/tenant-vector-store';
import { CallOptions, TenantScope } from '../../ports/vector.types';
import { pgvectorCall } from './pgvector.errors';
import { compileFilter, Params } from './pgvector.filter';
import { PgvectorLayout } from './pgvector.layout';
import { ListRow, listStatement, pageOf } from './pgvector.list';
import { locationOf, PgvectorLocation } from './pgvector.naming';
import { PgvectorOptions } from './pgvector.options';
import {
  metadataText,
  PGVECTOR_SCORES,
  rawScore,
  readColumns,
  Row,
  toStored,
  vectorText,
} from './pgvector.rows';
import { KEY_COLUMNS, METRIC_SQL, NAMESPACE_COLUMN, TENANT_COLUMN } from './pgvector.schema';
import { PgvectorSession } from './pgvector.session';
import { checkStorable, unstorable } from './pgvector.values';

/**
 * The scope condition of every statement: the tenant uid and the namespace, always the first
 * two parameters (`scoped`). The namespace is the gateway's own condition, never a user filter;
 * row-level security holds the tenant only.
 */
const IN_SCOPE = `${TENANT_COLUMN} = $1 AND ${NAMESPACE_COLUMN} = $2`;

function scoped(scope: TenantScope): Params {
  return [scope.tenantUid, scope.namespace];
}

type Store = TenantVectorStore;

/**
 * The data plane, on the location checked against the scope's uid (`locationOf`) and in the
 * current layout (`PgvectorLayout`). Every statement runs in a transaction scoped to the
 * tenant (row-level security's setting) and carries the scope condition as well; rows come
 * back with the tenant uid and namespace read from the table, never the scope's.
 */
export class PgvectorRecords implements Store {
  constructor(
    private readonly session: PgvectorSession,
    private readonly layout: PgvectorLayout,
    private readonly options: PgvectorOptions,
  ) {}

  /** One INSERT ... ON CONFLICT in one transaction: the whole batch or none of it. */
  upsert(...[scope, records, call]: Parameters<Store['upsert']>): ReturnType<Store['upsert']> {
    return pgvectorCall('upsert', async () => {
      const at = await this.place(scope, call);
      checkStorable(records);
      // A batch that names an id twice keeps its last record (ON CONFLICT may touch a row once).
      const last = new Map(records.map((record) => [record.id, record]));
      const params = scoped(scope);
      const rows = [...last.values()].map((record) => {
        params.push(record.id, vectorText(record.values), metadataText(record.metadata));
        const n = params.length;
        return `($1, $2, $${n - 2}, $${n - 1}::vector, $${n}::jsonb)`;
      });
      if (rows.length === 0) return { upserted: 0 };
      await this.session.asTenant(scope.tenantUid, call, (client) =>
        client.query(
          `INSERT INTO ${at.table} (${KEY_COLUMNS.join(', ')}, embedding, metadata)
           VALUES ${rows.join(', ')} ON CONFLICT (${KEY_COLUMNS.join(', ')})
           DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata`,
          params,
        ),
      );
      return { upserted: records.length };
    });
  }

  fetch(...[scope, ids, options, call]: Parameters<Store['fetch']>): ReturnType<Store['fetch']> {
    return pgvectorCall('fetch', async () => {
      const at = await this.place(scope, call);
      if (ids.length === 0) return [];
      const params = [...scoped(scope), ids.filter((id) => !unstorable(id))];
      const rows = await this.session.asTenant(scope.tenantUid, call, (client) =>
        select<Row>(
          client,
          `SELECT ${readColumns(options)} FROM ${at.table}
           WHERE ${IN_SCOPE} AND id = ANY($3::text[]) ORDER BY id`,
          params,
        ),
      );
      return rows.map((row) => toStored(row, options));
    });
  }

  delete(...[scope, selector, call]: Parameters<Store['delete']>): ReturnType<Store['delete']> {
    return pgvectorCall('delete', async () => {
      const at = await this.place(scope, call);
      const params = scoped(scope);
      let where = IN_SCOPE;
      switch (selector.kind) {
        case 'ids':
          if (selector.ids.length === 0) return { deleted: 0 };
          params.push(selector.ids.filter((id) => !unstorable(id)));
          where += ' AND id = ANY($3::text[])';
          break;
        case 'filter':
          where += ` AND ${compileFilter(selector.filter, params)}`;
          break;
        case 'all':
          break;
      }
      const result = await this.session.asTenant(scope.tenantUid, call, (client) =>
        client.query(`DELETE FROM ${at.table} WHERE ${where}`, params),
      );
      return { deleted: result.rowCount ?? 0 };
    });
  }

  count(...[scope, call]: Parameters<Store['count']>): ReturnType<Store['count']> {
    return pgvectorCall('count', async () => {
      const at = await this.place(scope, call);
      const rows = await this.session.asTenant(scope.tenantUid, call, (client) =>
        select<{ n: string }>(
          client,
          `SELECT count(*) AS n FROM ${at.table} WHERE ${IN_SCOPE}`,
          scoped(scope),
        ),
      );
      return Number(rows[0]?.n ?? 0);
    });
  }

  /** One page by key, in id order; the statement is `listStatement`'s. */
  list(...[scope, page, call]: Parameters<Store['list']>): ReturnType<Store['list']> {
    return pgvectorCall('list', async () => {
      const at = await this.place(scope, call);
      const opened = openListPage(scope, page);
      // No stored id holds text PostgreSQL cannot store: such a prefix starts none.
      if (unstorable(opened.prefix)) return { records: [] };
      const statement = listStatement(at.table, scoped(scope), opened, page);
      const rows = await this.session.asTenant(scope.tenantUid, call, (client) =>
        select<ListRow>(client, statement.sql, statement.params),
      );
      const { records, last } = pageOf(rows, statement, opened, page);
      return last === undefined ? { records } : { records, next: listCursor(scope, last) };
    });
  }

  /**
   * Nearest neighbours through the HNSW index with iterative scans, so a filter (the scope
   * condition in a shared table included) does not starve the answer. When the index still
   * returns fewer than topK rows, which happens on very selective filters beyond
   * `hnsw.max_scan_tuples`, the same query runs as an exact scan: the answer then holds every
   * match up to topK.
   */
  search(...[scope, query, call]: Parameters<Store['search']>): ReturnType<Store['search']> {
    return pgvectorCall('search', async () => {
      const at = await this.place(scope, call);
      const { space } = scope;
      const { op } = METRIC_SQL[space.metric];
      const params = [...scoped(scope), vectorText(query.vector), query.topK];
      const filter = query.filter ? ` AND ${compileFilter(query.filter, params)}` : '';
      const sql = `SELECT ${readColumns(query)}, ${rawScore(space, op, '$3')} AS raw
         FROM ${at.table} WHERE ${IN_SCOPE}${filter} ORDER BY embedding ${op} $3::vector LIMIT $4`;
      const efSearch = String(Math.min(1000, Math.max(this.options.efSearch, query.topK)));
      const rows = await this.session.asTenant(scope.tenantUid, call, async (client) => {
        await client.query(
          `SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),
                  set_config('hnsw.ef_search', $1, true)`,
          [efSearch],
        );
        const indexed = await select<Row>(client, sql, params);
        if (indexed.length >= query.topK) return indexed;
        await client.query(`SELECT set_config('enable_indexscan', 'off', true)`);
        return select<Row>(client, sql, params);
      });
      return rows
        .map((row) => ({
          ...toStored(row, query),
          score: toScore(PGVECTOR_SCORES, space.metric, row.raw ?? NaN),
        }))
        .sort((x, y) => y.score - x.score);
    });
  }

  /**
   * The scope's location, refused unless derived from its uid, in the current layout. A call
   * whose deadline passes while its table is being upgraded stops waiting; the upgrade goes on.
   */
  private async place(scope: TenantScope, call?: CallOptions): Promise<PgvectorLocation> {
    const at = locationOf(scope);
    await abandonOnAbort(call, () => this.layout.ready(at, scope.tenantUid));
    return at;
  }
}

async function select<T extends object>(
  client: PoolClient,
  sql: string,
  params: Params,
): Promise<T[]> {
  return (await client.query<T>(sql, params)).rows;
}
