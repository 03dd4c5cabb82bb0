import { Injectable } from '@nestjs/common';
import { ConflictError } from '@vecgate/core';
import { TenantScope } from '../../ports/vector.types';
import { BackendDrivers } from '../../routing/backend-drivers';
import { ScopeFence } from '../../routing/scope-fence';
import { MintedQdrantToken, QdrantBackend, QdrantTokenRequest } from './qdrant.backend';

/**
 * Mints Qdrant-native tokens for tenants on the Qdrant `collection` strategy. Calls made with
 * such a token go straight to Qdrant: the gateway neither sees nor audits them, so the token
 * is bounded in scope (one collection: the tenant's, with every namespace in it), in time
 * (QDRANT_TOKEN_MAX_TTL) and in life (erasing the tenant revokes it).
 */
@Injectable()
export class QdrantTokenService {
  constructor(
    private readonly drivers: BackendDrivers,
    private readonly fence: ScopeFence,
  ) {}

  async mint(scope: TenantScope, request: QdrantTokenRequest): Promise<MintedQdrantToken> {
    if (scope.placement.backend !== 'qdrant') {
      throw new ConflictError(
        `tenant ${scope.tenantId} is on the ${scope.placement.backend} backend: Qdrant tokens exist only for tenants on Qdrant`,
      );
    }
    const driver = this.drivers.has('qdrant') ? this.drivers.get('qdrant') : undefined;
    if (!(driver instanceof QdrantBackend)) {
      throw new ConflictError('the Qdrant backend is not enabled (QDRANT_URL)');
    }
    // Through the erasure fence: a mint that races a deletion either finishes before the
    // erasure starts (which then removes its grant) or is refused.
    return this.fence.admit(scope, () => driver.mintToken(scope, request));
  }
}
