import { ErasureReport } from '../../ports/backend-admin';
import { DEFAULT_NAMESPACE, VectorSpace } from '../../ports/vector.types';
import { pointId } from './qdrant.point-id';
import { QdrantCollections } from './qdrant.collections';
import { TENANT_FIELD } from './qdrant.payload';
import { QdrantLocation } from './qdrant.naming';
import { QdrantPoints } from './qdrant.points';
import { tenantFilter } from './qdrant.scope';
import { GRANTS_COLLECTION } from './qdrant.options';

const GRANTS: QdrantLocation = { strategy: 'collection', collection: GRANTS_COLLECTION };
const GRANTS_SPACE: VectorSpace = { dimension: 1, metric: 'dot' };

/**
 * Token grants: one point per tenant with minted Qdrant tokens, in a collection no token
 * opens. A minted token's `value_exists` claim makes Qdrant look for its tenant's grant on
 * every request, so deleting the grant revokes every token of the tenant at once.
 */
export class QdrantGrants {
  constructor(
    private readonly collections: QdrantCollections,
    private readonly points: QdrantPoints,
  ) {}

  async grant(tenantUid: string, collection: string): Promise<void> {
    await this.collections.ensure(GRANTS_COLLECTION, 'grants', GRANTS_SPACE);
    await this.points.upsert(
      GRANTS,
      [
        {
          id: pointId(tenantUid, DEFAULT_NAMESPACE, '#qdrant-token-grant'),
          vector: [1],
          payload: { [TENANT_FIELD]: tenantUid, collection },
        },
      ],
      1,
      'write a token grant',
    );
  }

  /** Deletes the tenant's grant; reports what is left (nothing when there never was one). */
  async revoke(tenantUid: string): Promise<ErasureReport['places']> {
    if (!(await this.collections.exists(GRANTS_COLLECTION))) return [];
    const remaining = await this.points.deleteAndVerify(GRANTS, tenantFilter(tenantUid));
    return [{ place: `qdrant:${GRANTS_COLLECTION}`, remaining }];
  }
}
