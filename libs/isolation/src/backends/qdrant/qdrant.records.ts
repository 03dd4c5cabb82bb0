import { QdrantClient } from '@qdrant/js-client-rest';
import { toScore } from '../../ports/backend-rules';
import { abandonOnAbort, assertNotAborted } from '../../ports/call-signal';
import { TenantVectorStore } from '../../ports/tenant-vector-store';
import { CallOptions, TenantScope } from '../../ports/vector.types';
import { qdrantCall } from './qdrant.errors';
import { QdrantFilter } from './qdrant.filter';
import { QdrantCollections } from './qdrant.collections';
import { QdrantLocation, QdrantPlacements } from './qdrant.naming';
import {
  fromPoint,
  payloadSelector,
  QDRANT_SCORES,
  SEARCH_VECTOR,
  toPoint,
  vectorSelector,
} from './qdrant.payload';
import { listPoints } from './qdrant.list';
import { pointId } from './qdrant.point-id';
import { QdrantPoints, shardSelector } from './qdrant.points';
import { scopedFilter, withUserFilter } from './qdrant.scope';

type Store = TenantVectorStore;

/**
 * The Qdrant data plane, on the location checked against the scope's uid. Every read, count
 * and delete carries the tenant and namespace conditions (`scopedFilter`), whatever the
 * strategy; every point id is derived from (tenant uid, namespace, caller's id).
 */
export class QdrantRecords implements Store {
  constructor(
    private readonly client: QdrantClient,
    private readonly collections: QdrantCollections,
    private readonly points: QdrantPoints,
    private readonly placements: QdrantPlacements,
  ) {}

  /**
   * The scope's checked location, once its collection has the namespace index (added on first
   * use to a collection made by an earlier release; a no-op afterwards).
   */
  private async located(scope: TenantScope, call?: CallOptions): Promise<QdrantLocation> {
    const location = this.placements.location(scope);
    await abandonOnAbort(call, () => this.collections.upgrade(location.collection));
    return location;
  }

  async upsert(
    ...[scope, records, call]: Parameters<Store['upsert']>
  ): ReturnType<Store['upsert']> {
    const location = await this.located(scope, call);
    assertNotAborted(call);
    const { metric, dimension } = scope.space;
    const points = records.map((r) => toPoint(scope, pointIdOf(scope, r.id), r));
    // Cosine points send their values twice (the searched vector and the raw copy).
    const valuesPerPoint = dimension * (metric === 'cosine' ? 2 : 1);
    await this.points.upsert(location, points, valuesPerPoint, 'upsert points', call);
    return { upserted: records.length };
  }

  async fetch(
    ...[scope, ids, options, call]: Parameters<Store['fetch']>
  ): ReturnType<Store['fetch']> {
    const unique = [...new Set(ids)];
    const location = await this.located(scope, call);
    if (unique.length === 0) return [];
    // A scroll, not a retrieve by id: a retrieve cannot carry the tenant condition.
    const result = await abandonOnAbort(call, () =>
      qdrantCall('read points', () =>
        this.client.scroll(location.collection, {
          filter: scopedFilter(scope, { has_id: unique.map((id) => pointIdOf(scope, id)) }),
          limit: unique.length,
          with_payload: payloadSelector(options),
          with_vector: vectorSelector(options, scope.space.metric),
          ...shardSelector(location),
        }),
      ),
    );
    return result.points.map((point) => fromPoint(point, options, scope.space.metric));
  }

  async search(...[scope, query, call]: Parameters<Store['search']>): ReturnType<Store['search']> {
    const location = await this.located(scope, call);
    const filter = withUserFilter(scope, query.filter);
    if (!filter) return [];
    const result = await abandonOnAbort(call, () =>
      qdrantCall('search', () =>
        this.client.query(location.collection, {
          query: Array.from(query.vector),
          using: SEARCH_VECTOR,
          filter,
          limit: query.topK,
          with_payload: payloadSelector(query),
          with_vector: vectorSelector(query, scope.space.metric),
          ...shardSelector(location),
        }),
      ),
    );
    return result.points.map((point) => ({
      ...fromPoint(point, query, scope.space.metric),
      score: toScore(QDRANT_SCORES, scope.space.metric, point.score),
    }));
  }

  async count(...[scope, call]: Parameters<Store['count']>): ReturnType<Store['count']> {
    const location = await this.located(scope, call);
    return abandonOnAbort(call, () => this.points.count(location, scopedFilter(scope)));
  }

  async delete(
    ...[scope, selector, call]: Parameters<Store['delete']>
  ): ReturnType<Store['delete']> {
    const location = await this.located(scope, call);
    assertNotAborted(call);
    let filter: QdrantFilter | null;
    switch (selector.kind) {
      case 'ids': {
        const unique = [...new Set(selector.ids)];
        if (unique.length === 0) return { deleted: 0 };
        filter = scopedFilter(scope, { has_id: unique.map((id) => pointIdOf(scope, id)) });
        break;
      }
      case 'filter':
        filter = withUserFilter(scope, selector.filter);
        break;
      case 'all':
        filter = scopedFilter(scope);
        break;
    }
    if (!filter) return { deleted: 0 };
    // Qdrant does not say how many points a delete removed: count them first (with the same
    // filter). A concurrent write between the two calls can make the count approximate.
    const deleted = await this.points.count(location, filter);
    if (deleted > 0) await this.points.deleteWhere(location, filter);
    return { deleted };
  }

  /** Pages in Qdrant's point id order; see `listPoints`. */
  async list(...[scope, page, call]: Parameters<Store['list']>): ReturnType<Store['list']> {
    const location = await this.located(scope, call);
    return listPoints(this.client, scope, location, page, call);
  }
}

function pointIdOf(scope: TenantScope, id: string): string {
  return pointId(scope.tenantUid, scope.namespace, id);
}
