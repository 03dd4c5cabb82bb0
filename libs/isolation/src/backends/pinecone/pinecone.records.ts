import type { PineconeRecord } from '@pinecone-database/pinecone';
import { BackendError } from '@vecgate/core';
import { RawScores, toScore } from '../../ports/backend-rules';
import { abandonOnAbort, assertNotAborted } from '../../ports/call-signal';
import { TenantVectorStore } from '../../ports/tenant-vector-store';
import { FilterNode, TenantScope } from '../../ports/vector.types';
import { NOTHING, tenantFilter } from './pinecone.filter';
import { listRecords } from './pinecone.list';
import { encodeMetadata, storedNamespace, storedTenant, toStored } from './pinecone.metadata';
import { PineconePlaces } from './pinecone.places';
import { TenantIndex } from './pinecone.tenant-index';

/** Matches a filtered delete collects per query (Pinecone's top-k bound with metadata). */
const DELETE_PAGE = 1000;
/** Bound on the rounds of a filtered delete (a million records at one page per round). */
const DELETE_ROUNDS = 1000;

type Store = TenantVectorStore;

/**
 * The Pinecone data plane. Every call names the Pinecone namespace of the scope's tenant and
 * namespace (never the index's default one), every record carries the tenant uid and its
 * namespace in its metadata, every query filter starts with that tenant condition, and reads
 * report the uid and namespace read back from storage.
 */
export class PineconeRecords implements Store {
  constructor(private readonly places: PineconePlaces) {}

  async upsert(
    ...[scope, records, call]: Parameters<Store['upsert']>
  ): ReturnType<Store['upsert']> {
    const index = await this.places.open(scope);
    assertNotAborted(call);
    if (records.length === 0) return { upserted: 0 };
    const rows: PineconeRecord[] = records.map((r) => ({
      id: r.id,
      values: Array.from(r.values),
      metadata: encodeMetadata(scope.tenantUid, r.metadata, r.id, scope.namespace),
    }));
    await index.upsert(rows);
    return { upserted: records.length };
  }

  async fetch(
    ...[scope, ids, options, call]: Parameters<Store['fetch']>
  ): ReturnType<Store['fetch']> {
    const index = await this.places.open(scope);
    if (ids.length === 0) return [];
    const wanted = new Set(ids);
    const found = await abandonOnAbort(call, () => index.fetch([...wanted]));
    return found.filter((r) => wanted.has(r.id)).map((r) => toStored(r, options));
  }

  async search(...[scope, query, call]: Parameters<Store['search']>): ReturnType<Store['search']> {
    const index = await this.places.open(scope);
    const filter = tenantFilter(scope.tenantUid, scope.namespace, query.filter);
    if (filter === NOTHING) return [];
    const matches = await abandonOnAbort(call, () =>
      index.query({
        vector: Array.from(query.vector),
        topK: query.topK,
        filter,
        includeValues: query.includeValues,
        // Always: the tenant uid read back lives in the metadata.
        includeMetadata: true,
      }),
    );
    const metric = scope.space.metric;
    return matches
      .map((match) => {
        if (typeof match.score !== 'number') {
          throw new BackendError('pinecone query failed: a match came back without a score');
        }
        return { ...toStored(match, query), score: toScore(PINECONE_SCORES, metric, match.score) };
      })
      .sort((a, b) => b.score - a.score);
  }

  async delete(
    ...[scope, selector, call]: Parameters<Store['delete']>
  ): ReturnType<Store['delete']> {
    const index = await this.places.open(scope);
    assertNotAborted(call);
    switch (selector.kind) {
      case 'ids': {
        if (selector.ids.length === 0) return { deleted: 0 };
        // Only ids that exist and carry this tenant's uid and namespace are deleted (and counted).
        const found = await index.fetch([...new Set(selector.ids)]);
        const own = found.filter(
          (r) =>
            storedTenant(r.metadata) === scope.tenantUid &&
            storedNamespace(r.metadata) === scope.namespace,
        );
        if (own.length > 0) await index.deleteIds(own.map((r) => r.id));
        return { deleted: own.length };
      }
      case 'filter':
        return { deleted: await this.deleteMatching(scope, index, selector.filter) };
      case 'all': {
        const count = await index.count();
        if (count > 0) await index.deleteAll(false);
        return { deleted: count };
      }
    }
  }

  async count(...[scope, call]: Parameters<Store['count']>): ReturnType<Store['count']> {
    const index = await this.places.open(scope);
    return abandonOnAbort(call, () => index.count());
  }

  /**
   * A filtered delete, by ids: the records the tenant's filtered query finds (in its
   * namespace, tenant condition first), deleted and counted, round after round. Pinecone's own
   * delete-by-filter is not used: it answers no count and is not available on every index.
   */
  private async deleteMatching(
    scope: TenantScope,
    index: TenantIndex,
    filter: FilterNode,
  ): Promise<number> {
    const compiled = tenantFilter(scope.tenantUid, scope.namespace, filter);
    if (compiled === NOTHING) return 0;
    const probe = new Array<number>(scope.space.dimension).fill(0);
    probe[0] = 1;
    const deleted = new Set<string>();
    for (let round = 0; round < DELETE_ROUNDS; round++) {
      const matches = await index.query({
        vector: probe,
        topK: DELETE_PAGE,
        filter: compiled,
        includeValues: false,
        includeMetadata: false,
      });
      // A deleted record may still be listed for a moment (eventual consistency): skip it.
      const fresh = [...new Set(matches.map((m) => m.id))].filter((id) => !deleted.has(id));
      if (fresh.length === 0) break;
      await index.deleteIds(fresh);
      for (const id of fresh) deleted.add(id);
      if (matches.length < DELETE_PAGE) break;
    }
    return deleted.size;
  }

  /** Pinecone's id listing, then a fetch of the listed ids: see `listRecords`. */
  async list(...[scope, page, call]: Parameters<Store['list']>): ReturnType<Store['list']> {
    const index = await this.places.open(scope);
    return abandonOnAbort(call, () => listRecords(index, scope, page, call));
  }
}

/**
 * Pinecone's scores: cosine similarity, dot product, and for euclidean the squared distance
 * (lower is closer). vecgate's score is higher-is-more-similar: the negated distance.
 */
const PINECONE_SCORES: RawScores = {
  cosine: 'similarity',
  dot: 'similarity',
  euclidean: 'squared_distance',
};
