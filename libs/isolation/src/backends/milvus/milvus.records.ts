import { BackendError, UnprocessableError } from '@vecgate/core';
import { toScore } from '../../ports/backend-rules';
import { abandonOnAbort, assertNotAborted } from '../../ports/call-signal';
import { listCursor, OpenedListPage, openListPage } from '../../ports/list-page';
import { TenantVectorStore } from '../../ports/tenant-vector-store';
import {
  DeleteSelector,
  ListResult,
  Metadata,
  ReadOptions,
  StoredRecord,
  TenantScope,
} from '../../ports/vector.types';
import { MilvusFilter } from './milvus.filter';
import { encodePrimaryKey, locationOf } from './milvus.naming';
import { MilvusNamespaceField } from './milvus.namespace-field';
import { MilvusOptions } from './milvus.options';
import { FIELD, MILVUS_SCORES, toRow } from './milvus.schema';
import { listFilter, primaryKeysFilter, scopedFilter, userFilter } from './milvus.scope';
import { MilvusStatements } from './milvus.statements';

/** Ids per query or delete: well under Milvus's 16,384-row query window. */
const CHUNK = 1000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function outputFields(options: ReadOptions): string[] {
  return [
    FIELD.id,
    FIELD.tenant,
    FIELD.namespace,
    ...(options.includeValues ? [FIELD.vector] : []),
    ...(options.includeMetadata ? [FIELD.metadata] : []),
  ];
}

/** A row as read back: the tenant uid and the namespace are the stored ones, never the scope's. */
function toRecord(row: Record<string, unknown>, options: ReadOptions): StoredRecord {
  const id = row[FIELD.id];
  const tenantUid = row[FIELD.tenant];
  const namespace = row[FIELD.namespace];
  if (typeof id !== 'string' || typeof tenantUid !== 'string') {
    throw new BackendError('Milvus answered a record without its id or tenant uid');
  }
  if (typeof namespace !== 'string') {
    throw new BackendError('Milvus answered a record without its namespace');
  }
  const record: { -readonly [K in keyof StoredRecord]: StoredRecord[K] } = {
    id,
    tenantUid,
    namespace,
  };
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

type Store = TenantVectorStore;

/**
 * The Milvus data plane, on the location checked against the scope's uid, strategy and space.
 * Every search, query and delete carries the scope clause (tenant uid and namespace) as a
 * filter template, in every strategy; the collection is upgraded to hold namespaces, in
 * place, before its first use (`MilvusNamespaceField`).
 */
export class MilvusRecords implements Store {
  constructor(
    private readonly options: MilvusOptions,
    private readonly statements: MilvusStatements,
    private readonly namespaces: MilvusNamespaceField,
  ) {}

  async upsert(
    ...[scope, records, call]: Parameters<Store['upsert']>
  ): ReturnType<Store['upsert']> {
    const location = locationOf(this.options, scope);
    assertNotAborted(call);
    if (records.length === 0) return { upserted: 0 };
    if (new Set(records.map((r) => r.id)).size !== records.length) {
      throw new UnprocessableError('a batch names the same id twice', 'vectors');
    }
    const rows = records.map((r, i) =>
      toRow(scope.tenantUid, scope.namespace, r, `vectors[${i}].id`),
    );
    await this.namespaces.ensure(location);
    assertNotAborted(call);
    await this.statements.upsert(location, rows);
    return { upserted: records.length };
  }

  async fetch(
    ...[scope, ids, options, call]: Parameters<Store['fetch']>
  ): ReturnType<Store['fetch']> {
    const location = locationOf(this.options, scope);
    const keys = keysOf(scope, ids);
    if (keys.length === 0) return [];
    return abandonOnAbort(call, async () => {
      await this.namespaces.ensure(location);
      const out: StoredRecord[] = [];
      for (const chunk of chunks(keys)) {
        const filter = primaryKeysFilter(scope, chunk);
        const output = outputFields(options);
        const rows = await this.statements.query(location, scope, filter, output, chunk.length);
        for (const row of rows) out.push(toRecord(row, options));
      }
      return out;
    });
  }

  async count(...[scope, call]: Parameters<Store['count']>): ReturnType<Store['count']> {
    const location = locationOf(this.options, scope);
    return abandonOnAbort(call, async () => {
      await this.namespaces.ensure(location);
      return this.statements.count(location, scope, scopedFilter(scope));
    });
  }

  async search(...[scope, query, call]: Parameters<Store['search']>): ReturnType<Store['search']> {
    const location = locationOf(this.options, scope);
    const filter = query.filter ? userFilter(scope, query.filter) : scopedFilter(scope);
    const { metric } = scope.space;
    return abandonOnAbort(call, async () => {
      await this.namespaces.ensure(location);
      const hits = await this.statements.search(location, scope, {
        vector: query.vector,
        topK: query.topK,
        metric,
        filter,
        output: outputFields(query),
      });
      return hits
        .map((hit) => ({
          ...toRecord(hit, query),
          score: toScore(MILVUS_SCORES, metric, Number(hit.score)),
        }))
        .sort((a, b) => b.score - a.score);
    });
  }

  async delete(
    ...[scope, selector, call]: Parameters<Store['delete']>
  ): ReturnType<Store['delete']> {
    const location = locationOf(this.options, scope);
    assertNotAborted(call);
    // Every filter is built (and a bad one refused) before anything is sent.
    const filters = deleteFilters(scope, selector);
    if (filters.length === 0) return { deleted: 0 };
    await this.namespaces.ensure(location);
    assertNotAborted(call);
    let deleted = 0;
    for (const filter of filters) deleted += await this.statements.delete(location, scope, filter);
    return { deleted };
  }

  /**
   * One query by key: the scope clause, `pk > {after} && pk >= {prefix}` and the user filter,
   * `limit` rows. Milvus answers a limited query with the smallest primary keys, in key order
   * (what the SDK's own query iterator relies on); the rows are put in that order again here.
   */
  async list(...[scope, page, call]: Parameters<Store['list']>): ReturnType<Store['list']> {
    const location = locationOf(this.options, scope);
    const opened = openListPage(scope, page);
    const key = (id: string): string => encodePrimaryKey(scope.tenantUid, scope.namespace, id);
    const filter = listFilter(scope, key(opened.after ?? ''), key(opened.prefix), page.filter);
    return abandonOnAbort(call, async () => {
      await this.namespaces.ensure(location);
      const output = outputFields(page);
      const rows = await this.statements.query(location, scope, filter, output, opened.limit);
      const records = rows.map((row) => toRecord(row, page)).sort(byIdBytes);
      return pageOf(scope, records, opened);
    });
  }
}

function byIdBytes(a: StoredRecord, b: StoredRecord): number {
  return Buffer.compare(Buffer.from(a.id, 'utf8'), Buffer.from(b.id, 'utf8'));
}

/**
 * The page: its records up to the first id past the prefix (ids sharing a prefix are
 * contiguous in key order, so the walk ends there), and `next` after a full page.
 */
function pageOf(scope: TenantScope, records: StoredRecord[], opened: OpenedListPage): ListResult {
  const past = records.findIndex((r) => !r.id.startsWith(opened.prefix));
  if (past >= 0) return { records: records.slice(0, past) };
  const last = records[records.length - 1];
  if (records.length < opened.limit || !last) return { records };
  return { records, next: listCursor(scope, last.id) };
}

/** The filters of a delete: one per chunk of ids, or one. */
function deleteFilters(scope: TenantScope, selector: DeleteSelector): MilvusFilter[] {
  switch (selector.kind) {
    case 'ids':
      return chunks(keysOf(scope, selector.ids)).map((chunk) => primaryKeysFilter(scope, chunk));
    case 'filter':
      return [userFilter(scope, selector.filter)];
    case 'all':
      return [scopedFilter(scope)];
  }
}

/** The primary keys of the scope's distinct ids. */
function keysOf(scope: TenantScope, ids: readonly string[]): string[] {
  return [...new Set(ids)].map((id) => encodePrimaryKey(scope.tenantUid, scope.namespace, id));
}
