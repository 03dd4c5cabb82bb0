import { PoolClient } from 'pg';
import {
  CallOptions,
  DeleteSelector,
  Metadata,
  ReadOptions,
  ScoredRecord,
  SearchQuery,
  StoredRecord,
  VectorSpace,
  VectorWrite,
} from '../../ports/vector.types';
import { RawScores, toScore } from '../../ports/backend-rules';
import { compileFilter, Params } from './pgvector.filter';
import { PgvectorLocation } from './pgvector.naming';
import { PgvectorOptions } from './pgvector.options';
import { METRIC_SQL, TENANT_COLUMN } from './pgvector.schema';
import { PgvectorSession } from './pgvector.session';
import { checkStorable, unstorable } from './pgvector.values';

interface Row {
  readonly tenant: string;
  readonly id: string;
  readonly embedding?: string;
  readonly metadata?: Metadata | null;
  readonly raw?: number;
}

/**
 * The data plane. Every statement runs in a transaction scoped to the tenant (row-level
 * security's setting) and carries its own tenant condition as well; rows come back with the
 * tenant uid read from the table, never the scope's.
 */
export class PgvectorRecords {
  constructor(
    private readonly session: PgvectorSession,
    private readonly options: PgvectorOptions,
  ) {}

  /** One INSERT ... ON CONFLICT in one transaction: the whole batch or none of it. */
  async upsert(
    uid: string,
    at: PgvectorLocation,
    records: readonly VectorWrite[],
    call?: CallOptions,
  ): Promise<number> {
    checkStorable(records);
    // A batch that names an id twice keeps its last record (ON CONFLICT may touch a row once).
    const last = new Map(records.map((record) => [record.id, record]));
    const params: Params = [uid];
    const rows = [...last.values()].map((record) => {
      params.push(record.id, vectorText(record.values), metadataText(record.metadata));
      const n = params.length;
      return `($1, $${n - 2}, $${n - 1}::vector, $${n}::jsonb)`;
    });
    if (rows.length === 0) return 0;
    await this.session.asTenant(uid, call, (client) =>
      client.query(
        `INSERT INTO ${at.table} (${TENANT_COLUMN}, id, embedding, metadata) VALUES ${rows.join(', ')}
         ON CONFLICT (${TENANT_COLUMN}, id)
         DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata`,
        params,
      ),
    );
    return records.length;
  }

  async fetch(
    uid: string,
    at: PgvectorLocation,
    ids: readonly string[],
    options: ReadOptions,
    call?: CallOptions,
  ): Promise<StoredRecord[]> {
    const rows = await this.session.asTenant(uid, call, (client) =>
      select<Row>(
        client,
        `SELECT ${readColumns(options)} FROM ${at.table}
         WHERE ${TENANT_COLUMN} = $1 AND id = ANY($2::text[]) ORDER BY id`,
        [uid, ids.filter((id) => !unstorable(id))],
      ),
    );
    return rows.map((row) => toStored(row, options));
  }

  async delete(
    uid: string,
    at: PgvectorLocation,
    selector: DeleteSelector,
    call?: CallOptions,
  ): Promise<number> {
    const params: Params = [uid];
    let where = `${TENANT_COLUMN} = $1`;
    switch (selector.kind) {
      case 'ids':
        params.push(selector.ids.filter((id) => !unstorable(id)));
        where += ' AND id = ANY($2::text[])';
        break;
      case 'filter':
        where += ` AND ${compileFilter(selector.filter, params)}`;
        break;
      case 'all':
        break;
    }
    const result = await this.session.asTenant(uid, call, (client) =>
      client.query(`DELETE FROM ${at.table} WHERE ${where}`, params),
    );
    return result.rowCount ?? 0;
  }

  async count(uid: string, at: PgvectorLocation, call?: CallOptions): Promise<number> {
    const rows = await this.session.asTenant(uid, call, (client) =>
      select<{ n: string }>(
        client,
        `SELECT count(*) AS n FROM ${at.table} WHERE ${TENANT_COLUMN} = $1`,
        [uid],
      ),
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Nearest neighbours through the HNSW index with iterative scans, so a filter (the tenant's
   * own condition in a shared table included) does not starve the answer. When the index
   * still returns fewer than topK rows, which happens on very selective filters beyond
   * `hnsw.max_scan_tuples`, the same query runs as an exact scan: the answer then holds every
   * match up to topK.
   */
  async search(
    uid: string,
    at: PgvectorLocation,
    space: VectorSpace,
    query: SearchQuery,
    call?: CallOptions,
  ): Promise<ScoredRecord[]> {
    const { op } = METRIC_SQL[space.metric];
    const params: Params = [uid, vectorText(query.vector), query.topK];
    const filter = query.filter ? ` AND ${compileFilter(query.filter, params)}` : '';
    const sql = `SELECT ${readColumns(query)}, ${rawScore(space, op)} AS raw FROM ${at.table}
       WHERE ${TENANT_COLUMN} = $1${filter} ORDER BY embedding ${op} $2::vector LIMIT $3`;
    const efSearch = String(Math.min(1000, Math.max(this.options.efSearch, query.topK)));
    const rows = await this.session.asTenant(uid, call, async (client) => {
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
  }
}

/** What `rawScore` selects: similarities, and the plain euclidean distance. */
const PGVECTOR_SCORES: RawScores = {
  cosine: 'similarity',
  dot: 'similarity',
  euclidean: 'distance',
};

/**
 * What pgvector's operator gives, turned into what `toScore` takes: the cosine similarity
 * (1 − cosine distance), the dot product (`<#>` is its negation) or the euclidean distance.
 */
function rawScore(space: VectorSpace, op: string): string {
  const distance = `(embedding ${op} $2::vector)`;
  switch (space.metric) {
    case 'cosine':
      return `1 - ${distance}`;
    case 'dot':
      return `-${distance}`;
    case 'euclidean':
      return distance;
  }
}

function readColumns(options: ReadOptions): string {
  const columns = [`${TENANT_COLUMN} AS tenant`, 'id'];
  if (options.includeValues) columns.push('embedding::text AS embedding');
  if (options.includeMetadata) columns.push('metadata');
  return columns.join(', ');
}

async function select<T extends object>(
  client: PoolClient,
  sql: string,
  params: Params,
): Promise<T[]> {
  return (await client.query<T>(sql, params)).rows;
}

function toStored(row: Row, options: ReadOptions): StoredRecord {
  return {
    id: row.id,
    tenantUid: row.tenant,
    ...(options.includeValues && row.embedding !== undefined
      ? { values: parseVector(row.embedding) }
      : {}),
    ...(options.includeMetadata && row.metadata ? { metadata: row.metadata } : {}),
  };
}

/** pgvector's text form, `[1,2.5,-3]`. A float32 prints exactly as a double and reads back. */
function vectorText(values: Float32Array): string {
  return `[${Array.from(values).join(',')}]`;
}

function parseVector(text: string): Float32Array {
  const inner = text.slice(1, -1);
  return inner === '' ? new Float32Array(0) : Float32Array.from(inner.split(','), Number);
}

function metadataText(metadata: Metadata | undefined): string | null {
  return metadata === undefined ? null : JSON.stringify(metadata);
}
