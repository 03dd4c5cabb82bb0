import { BackendError, UnprocessableError } from '@vecgate/core';
import type { ConsistencyLevelEnum, MilvusClient } from '@zilliz/milvus2-sdk-node';
import {
  DeleteSelector,
  Metadata,
  ReadOptions,
  ScoredRecord,
  SearchQuery,
  StoredRecord,
  VectorSpace,
  VectorWrite,
} from '../../ports/vector.types';
import { answer } from './milvus.client';
import { MilvusFilter, primaryKeysFilter, tenantScoped, userFilter } from './milvus.filter';
import { encodePrimaryKey, MilvusLocation } from './milvus.naming';
import { CONSISTENCY } from './milvus.ddl';
import { toScore } from '../../ports/backend-rules';
import { FIELD, MILVUS_METRIC, MILVUS_SCORES, toRow } from './milvus.schema';
import { assertScoped, ScopedRequest } from './milvus.scope-guard';

/**
 * The SDK types `consistency_level` as the numeric enum, where Strong is 0; its search falls
 * back to the collection's level on a falsy value (`params.consistency_level ||
 * collectionInfo.consistency_level`), so Strong must travel as its name.
 */
const STRONG = CONSISTENCY as unknown as ConsistencyLevelEnum;

/** Ids per query or delete: well under Milvus's 16,384-row query window. */
const CHUNK = 1000;

const COUNT_FIELD = 'count(*)';

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function outputFields(options: ReadOptions): string[] {
  return [
    FIELD.id,
    FIELD.tenant,
    ...(options.includeValues ? [FIELD.vector] : []),
    ...(options.includeMetadata ? [FIELD.metadata] : []),
  ];
}

/** A row as read back: the tenant uid is the stored one, never the scope's. */
function toRecord(row: Record<string, unknown>, options: ReadOptions): StoredRecord {
  const id = row[FIELD.id];
  const tenantUid = row[FIELD.tenant];
  if (typeof id !== 'string' || typeof tenantUid !== 'string') {
    throw new BackendError('Milvus answered a record without its id or tenant uid');
  }
  const record: { -readonly [K in keyof StoredRecord]: StoredRecord[K] } = { id, tenantUid };
  if (options.includeValues) {
    const values = row[FIELD.vector];
    if (!Array.isArray(values)) throw new BackendError('Milvus answered a record without values');
    record.values = Float32Array.from(values as number[]);
  }
  if (options.includeMetadata) {
    const metadata = row[FIELD.metadata];
    record.metadata =
      metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)
        ? (metadata as Metadata)
        : {};
  }
  return record;
}

/**
 * The data plane: every search, query and delete carries the tenant condition as a filter
 * template, in every strategy, and passes `assertScoped` right before the SDK call.
 */
export class MilvusRecords {
  constructor(private readonly client: MilvusClient) {}

  /**
   * One Upsert request per batch. Milvus checks the whole request before applying it, but
   * has no transaction: see the guarantees table for what a failure can leave.
   */
  async upsert(
    tenantUid: string,
    location: MilvusLocation,
    records: readonly VectorWrite[],
  ): Promise<number> {
    if (records.length === 0) return 0;
    if (new Set(records.map((r) => r.id)).size !== records.length) {
      throw new UnprocessableError('a batch names the same id twice', 'vectors');
    }
    const rows = records.map((r, i) => toRow(tenantUid, r, `vectors[${i}].id`));
    const res = await answer('upsert', () =>
      this.client.upsert({
        db_name: location.database,
        collection_name: location.collection,
        ...(location.partition ? { partition_name: location.partition } : {}),
        data: rows,
      }),
    );
    if (res.err_index.length > 0 || Number(res.upsert_cnt) !== rows.length) {
      throw new BackendError(
        `Milvus upsert wrote ${String(res.upsert_cnt)} of ${rows.length} records`,
      );
    }
    return records.length;
  }

  async fetch(
    tenantUid: string,
    location: MilvusLocation,
    ids: readonly string[],
    options: ReadOptions,
  ): Promise<StoredRecord[]> {
    const keys = [...new Set(ids)].map((id) => encodePrimaryKey(tenantUid, id));
    const out: StoredRecord[] = [];
    for (const chunk of chunks(keys)) {
      const rows = await this.query(
        tenantUid,
        location,
        primaryKeysFilter(tenantUid, chunk),
        outputFields(options),
        chunk.length,
      );
      for (const row of rows) out.push(toRecord(row, options));
    }
    return out;
  }

  async count(tenantUid: string, location: MilvusLocation): Promise<number> {
    const rows = await this.query(tenantUid, location, tenantScoped(tenantUid), [COUNT_FIELD]);
    const count = Number(rows[0]?.[COUNT_FIELD]);
    if (rows.length !== 1 || !Number.isInteger(count) || count < 0) {
      throw new BackendError('Milvus answered a count without a count');
    }
    return count;
  }

  async search(
    tenantUid: string,
    location: MilvusLocation,
    space: VectorSpace,
    query: SearchQuery,
  ): Promise<ScoredRecord[]> {
    const filter = query.filter ? userFilter(tenantUid, query.filter) : tenantScoped(tenantUid);
    const request = {
      db_name: location.database,
      collection_name: location.collection,
      ...(location.partition ? { partition_names: [location.partition] } : {}),
      anns_field: FIELD.vector,
      data: Array.from(query.vector),
      limit: query.topK,
      metric_type: MILVUS_METRIC[space.metric],
      filter: filter.expr,
      exprValues: { ...filter.values },
      output_fields: outputFields(query),
      consistency_level: STRONG,
    };
    assertScoped(request, tenantUid, location.partition);
    // The SDK's search builds its request from the (cached) collection description and
    // fails with a TypeError when that describe failed; checking it first gives a clear
    // error, and the SDK then reads the same cache entry.
    await answer('describe collection', () =>
      this.client.describeCollection({
        db_name: location.database,
        collection_name: location.collection,
        cache: true,
      }),
    );
    const res = await answer('search', () => this.client.search(request));
    if (!Array.isArray(res.results))
      throw new BackendError('Milvus answered a search without results');
    return res.results
      .map((hit) => ({
        ...toRecord(hit, query),
        score: toScore(MILVUS_SCORES, space.metric, Number(hit.score)),
      }))
      .sort((a, b) => b.score - a.score);
  }

  async delete(
    tenantUid: string,
    location: MilvusLocation,
    selector: DeleteSelector,
  ): Promise<number> {
    switch (selector.kind) {
      case 'ids': {
        const keys = [...new Set(selector.ids)].map((id) => encodePrimaryKey(tenantUid, id));
        let deleted = 0;
        for (const chunk of chunks(keys)) {
          deleted += await this.deleteWhere(
            tenantUid,
            location,
            primaryKeysFilter(tenantUid, chunk),
          );
        }
        return deleted;
      }
      case 'filter':
        return this.deleteWhere(tenantUid, location, userFilter(tenantUid, selector.filter));
      case 'all':
        return this.deleteWhere(tenantUid, location, tenantScoped(tenantUid));
    }
  }

  private async query(
    tenantUid: string,
    location: MilvusLocation,
    filter: MilvusFilter,
    output: string[],
    limit?: number,
  ): Promise<Record<string, unknown>[]> {
    const request = {
      db_name: location.database,
      collection_name: location.collection,
      ...(location.partition ? { partition_names: [location.partition] } : {}),
      filter: filter.expr,
      exprValues: { ...filter.values },
      output_fields: output,
      consistency_level: STRONG,
      ...(limit !== undefined ? { limit } : {}),
    };
    assertScoped(request, tenantUid, location.partition);
    const res = await answer('query', () => this.client.query(request));
    if (!Array.isArray(res.data)) throw new BackendError('Milvus answered a query without rows');
    return res.data;
  }

  /**
   * `delete_cnt` counts the rows Milvus found for the expression: with the tenant clause the
   * expression is never a bare primary-key list, which Milvus would count without looking.
   */
  private async deleteWhere(
    tenantUid: string,
    location: MilvusLocation,
    filter: MilvusFilter,
  ): Promise<number> {
    const request = {
      db_name: location.database,
      collection_name: location.collection,
      ...(location.partition ? { partition_name: location.partition } : {}),
      filter: filter.expr,
      exprValues: { ...filter.values },
      consistency_level: CONSISTENCY,
    } as const;
    assertScoped(request satisfies ScopedRequest, tenantUid, location.partition);
    const res = await answer('delete', () => this.client.deleteEntities(request));
    const deleted = Number(res.delete_cnt);
    if (!Number.isInteger(deleted) || deleted < 0) {
      throw new BackendError('Milvus answered a delete without a count');
    }
    return deleted;
  }
}
