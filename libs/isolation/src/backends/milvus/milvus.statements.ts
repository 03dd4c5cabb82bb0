import { BackendError } from '@vecgate/core';
import type { ConsistencyLevelEnum, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { MetricName } from '../../ports/vector.types';
import { answer } from './milvus.client';
import { CONSISTENCY } from './milvus.ddl';
import { MilvusFilter } from './milvus.filter';
import { MilvusLocation } from './milvus.naming';
import { FIELD, MILVUS_METRIC, MilvusRow } from './milvus.schema';
import { NamespaceSelector } from './milvus.scope';
import { assertScoped, ScopedRequest } from './milvus.scope-guard';

/**
 * The SDK types `consistency_level` as the numeric enum, where Strong is 0; its search falls
 * back to the collection's level on a falsy value (`params.consistency_level ||
 * collectionInfo.consistency_level`), so Strong must travel as its name.
 */
const STRONG = CONSISTENCY as unknown as ConsistencyLevelEnum;

const COUNT_FIELD = 'count(*)';

/** Whom a statement is for: the tenant and the namespace (or every one) its filter names. */
export interface StatementScope {
  readonly tenantUid: string;
  readonly namespace: NamespaceSelector;
}

export interface SearchStatement {
  readonly vector: Float32Array;
  readonly topK: number;
  readonly metric: MetricName;
  readonly filter: MilvusFilter;
  readonly output: string[];
}

/** The parts every query and search request shares: where, the scoped filter, Strong reads. */
function readRequest(location: MilvusLocation, filter: MilvusFilter) {
  return {
    db_name: location.database,
    collection_name: location.collection,
    ...(location.partition ? { partition_names: [location.partition] } : {}),
    filter: filter.expr,
    exprValues: { ...filter.values },
    consistency_level: STRONG,
  };
}

/**
 * The Milvus statements of the data plane, each on one location. Every query, search and
 * delete passes `assertScoped` right before the SDK call, with the scope it was built for.
 */
export class MilvusStatements {
  constructor(private readonly client: MilvusClient) {}

  /**
   * One Upsert request per batch. Milvus checks the whole request before applying it, but
   * has no transaction: see the guarantees table for what a failure can leave.
   */
  async upsert(location: MilvusLocation, rows: MilvusRow[]): Promise<void> {
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
  }

  async query(
    location: MilvusLocation,
    scope: StatementScope,
    filter: MilvusFilter,
    output: string[],
    limit?: number,
  ): Promise<Record<string, unknown>[]> {
    const request = {
      ...readRequest(location, filter),
      output_fields: output,
      ...(limit !== undefined ? { limit } : {}),
    };
    assertScoped(request, { ...scope, partition: location.partition });
    const res = await answer('query', () => this.client.query(request));
    if (!Array.isArray(res.data)) throw new BackendError('Milvus answered a query without rows');
    return res.data;
  }

  async count(
    location: MilvusLocation,
    scope: StatementScope,
    filter: MilvusFilter,
  ): Promise<number> {
    const rows = await this.query(location, scope, filter, [COUNT_FIELD]);
    const count = Number(rows[0]?.[COUNT_FIELD]);
    if (rows.length !== 1 || !Number.isInteger(count) || count < 0) {
      throw new BackendError('Milvus answered a count without a count');
    }
    return count;
  }

  /** Hits in Milvus's order, each row with its raw `score`. */
  async search(
    location: MilvusLocation,
    scope: StatementScope,
    statement: SearchStatement,
  ): Promise<Record<string, unknown>[]> {
    const request = {
      ...readRequest(location, statement.filter),
      anns_field: FIELD.vector,
      data: Array.from(statement.vector),
      limit: statement.topK,
      metric_type: MILVUS_METRIC[statement.metric],
      output_fields: statement.output,
    };
    assertScoped(request, { ...scope, partition: location.partition });
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
    return res.results;
  }

  /**
   * `delete_cnt` counts the rows Milvus found for the expression: with the scope clause the
   * expression is never a bare primary-key list, which Milvus would count without looking.
   */
  async delete(
    location: MilvusLocation,
    scope: StatementScope,
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
    assertScoped(request satisfies ScopedRequest, { ...scope, partition: location.partition });
    const res = await answer('delete', () => this.client.deleteEntities(request));
    const deleted = Number(res.delete_cnt);
    if (!Number.isInteger(deleted) || deleted < 0) {
      throw new BackendError('Milvus answered a delete without a count');
    }
    return deleted;
  }
}
