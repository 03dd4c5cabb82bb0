import { Injectable, StreamableFile } from '@nestjs/common';
import type {
  FetchResponse,
  IndexDescription,
  ListResponse,
  QueryResponse,
  ScoredVector,
  UpdateResponse,
  UpsertResponse,
} from '@pinecone-database/pinecone/dist/pinecone-generated-ts-fetch/db_data';
import { BadRequestError, NotFoundError } from '@vecgate/core';
import { DEFAULT_NAMESPACE_ALIAS } from '@vecgate/isolation';
import { RecordListing, VectorService } from '@vecgate/search';
import type { DataCallContext } from './pinecone-call';
import { fetchAnswer, USAGE } from './pinecone-fetch-answer';
import { indexName } from './pinecone.naming';
import { PineconeIndexes } from './pinecone-indexes.service';
import { asSent } from '../field-names';
import { flag, PAGINATION_TOKEN_NAMES, queryLimit, requestOf } from './pinecone.requests';
import {
  checkFlatMetadata,
  pineconeMetric,
  pineconeScore,
  refuseUnsupported,
  upsertRecords,
} from './pinecone.translate';

/**
 * The key of a namespace in index stats: API versions before 2025-04 (SDK 5, LangChain) name
 * the default namespace `""`, later ones `__default__`.
 */
const statsKey = (namespace: string, apiVersion: string): string =>
  namespace === DEFAULT_NAMESPACE_ALIAS && apiVersion !== '' && apiVersion < '2025-04'
    ? ''
    : namespace;

/** A query by id fetches the record first: a bad id is the query's `id`. */
const QUERY_NAMES = asSent([[/^ids\[0\]/, 'id']]);
/** An update is a fetch then an upsert of one record: its fields as the update names them. */
const UPDATE_NAMES = asSent([
  [/^ids\[0\]/, 'id'],
  [/^vectors\[0\]\.values/, 'values'],
  [/^vectors\[0\]\.metadata/, 'setMetadata'],
  [/^vectors\[0\]\.id/, 'id'],
]);

const UPDATE_FIELDS = { values: 'values', metadata: 'setMetadata' } as const;

/** The namespace an answer names: as the request gave it, `""` when it gave none. */
const echoed = (namespace: unknown): string => (typeof namespace === 'string' ? namespace : '');

/**
 * Pinecone's data plane, translated onto vecgate's use cases: every call acts in the scope of
 * one (index, namespace) pair of the caller's tenant, with vecgate's validation, quotas, filter
 * rules and result validation.
 */
@Injectable()
export class PineconeData {
  constructor(
    private readonly vectors: VectorService,
    private readonly listing: RecordListing,
    private readonly indexes: PineconeIndexes,
  ) {}

  async upsert(
    { scope: base, tier, index, trace }: DataCallContext,
    raw: unknown,
  ): Promise<UpsertResponse> {
    const body = requestOf(raw, 'upsert');
    const scope = await this.indexes.scopeOf(base, index, body.namespace);
    const { upserted } = await this.vectors.upsert(scope, tier, upsertRecords(body.vectors), trace);
    return { upsertedCount: upserted };
  }

  async query(
    { scope: base, index, trace }: DataCallContext,
    raw: unknown,
  ): Promise<QueryResponse> {
    const body = requestOf(raw, 'query');
    refuseUnsupported(body, ['sparseVector', 'queries'], '');
    const includeValues = flag(body, 'includeValues');
    const includeMetadata = flag(body, 'includeMetadata');
    const scope = await this.indexes.scopeOf(base, index, body.namespace);
    const namespace = echoed(body.namespace);
    let vector = body.vector;
    if (body.id !== undefined) {
      if (vector !== undefined) throw new BadRequestError('give either vector or id', 'id');
      // Checked before the lookup: a bad topK or filter is refused even for an unknown id.
      const { topK, filter } = body;
      this.vectors.checkSearch(scope, { topK, filter, includeMetadata, includeValues });
      const [found] = await this.vectors.fetchMany(scope, [body.id], trace).catch(QUERY_NAMES);
      if (!found) return { matches: [], namespace, usage: USAGE };
      vector = found.values;
    }
    const { matches } = await this.vectors.search(
      scope,
      {
        vector,
        topK: body.topK,
        filter: body.filter,
        includeMetadata,
        includeValues,
      },
      trace,
    );
    const metric = scope.space.metric;
    const scored = matches.map((m): ScoredVector => ({
      id: m.id,
      score: pineconeScore(metric, m.score),
      values: includeValues ? (m.values ?? []) : [],
      ...(m.metadata !== undefined ? { metadata: m.metadata } : {}),
    }));
    return { matches: scored, namespace, usage: USAGE };
  }

  async fetch(
    { scope: base, index, trace, countAnswer }: DataCallContext,
    raw: Record<string, unknown>,
  ): Promise<FetchResponse | StreamableFile> {
    const query = requestOf(raw, 'fetch');
    const scope = await this.indexes.scopeOf(base, index, query.namespace);
    const ids = typeof query.ids === 'string' ? [query.ids] : query.ids;
    const found = await this.vectors.fetchMany(scope, ids, trace);
    countAnswer(found.length);
    return fetchAnswer(found, echoed(query.namespace));
  }

  /**
   * One page of the namespace's ids, ascending, `limit` (default 100) at a time; `prefix`
   * narrows them. The pagination token is vecgate's cursor, bound to this tenant and namespace.
   */
  async list(
    { scope: base, index, trace }: DataCallContext,
    raw: Record<string, unknown>,
  ): Promise<ListResponse> {
    const query = requestOf(raw, 'list');
    const scope = await this.indexes.scopeOf(base, index, query.namespace);
    const limit = query.limit === undefined ? 100 : queryLimit(query.limit);
    const page = await this.listing
      .page(scope, { limit, prefix: query.prefix, cursor: query.paginationToken }, trace)
      .catch(PAGINATION_TOKEN_NAMES);
    return {
      vectors: page.records.map((r) => ({ id: r.id })),
      ...(page.next !== undefined ? { pagination: { next: page.next } } : {}),
      namespace: echoed(query.namespace),
      usage: USAGE,
    };
  }

  /** `{}`: the SDK reads the body of a delete and refuses an empty one. */
  async delete(
    { scope: base, index, trace }: DataCallContext,
    raw: unknown,
  ): Promise<Record<string, never>> {
    const body = requestOf(raw, 'delete');
    const scope = await this.indexes.scopeOf(base, index, body.namespace);
    await this.vectors.delete(
      scope,
      { ids: body.ids, filter: body.filter, deleteAll: flag(body, 'deleteAll') },
      trace,
    );
    return {};
  }

  /**
   * Replaces the values and merges `setMetadata` into the metadata of one record, as a fetch
   * followed by an upsert: a concurrent write to the same id between the two may be overwritten.
   */
  async update(
    { scope: base, tier, index, trace }: DataCallContext,
    raw: unknown,
  ): Promise<UpdateResponse> {
    const body = requestOf(raw, 'update');
    refuseUnsupported(body, ['sparseValues', 'filter', 'dryRun'], '');
    const scope = await this.indexes.scopeOf(base, index, body.namespace);
    checkFlatMetadata(body.setMetadata, 'setMetadata');
    // Checked before the lookup: bad values are refused even for an unknown id.
    const parts = { values: body.values ?? undefined, metadata: body.setMetadata };
    this.vectors.checkRecordParts(scope, tier, parts, UPDATE_FIELDS);
    const [found] = await this.vectors.fetchMany(scope, [body.id], trace).catch(UPDATE_NAMES);
    if (!found) throw new NotFoundError('no vector with this id in the namespace');
    const metadata = { ...found.metadata, ...(body.setMetadata as object | undefined) };
    const values = body.values ?? found.values;
    await this.vectors
      .upsert(scope, tier, [{ id: found.id, values, metadata }], trace)
      .catch(UPDATE_NAMES);
    return { matchedRecords: 1 };
  }

  async stats(call: DataCallContext, raw: unknown): Promise<IndexDescription> {
    const { scope: base, index, trace } = call;
    refuseUnsupported(requestOf(raw, 'stats'), ['filter'], '');
    const name = indexName(index);
    await this.indexes.scopeOf(base, name, undefined);
    const counts = await this.indexes.counted(base, name, trace);
    const namespaces: NonNullable<IndexDescription['namespaces']> = {};
    let total = 0;
    for (const [namespace, vectorCount] of counts) {
      total += vectorCount;
      if (vectorCount > 0) namespaces[statsKey(namespace, call.apiVersion)] = { vectorCount };
    }
    return {
      namespaces,
      dimension: base.space.dimension,
      indexFullness: 0,
      totalVectorCount: total,
      metric: pineconeMetric(base.space.metric),
      vectorType: 'dense',
    };
  }
}
