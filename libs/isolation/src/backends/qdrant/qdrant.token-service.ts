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
    if (scope.mirror) {
      // Calls made with the token would reach one place only while the tenant moves.
      throw new ConflictError(
        `tenant ${scope.tenantId} is moving to another placement: Qdrant tokens are minted again once it has`,
      );
    }
    const driver = this.qdrant();
    // Through the erasure fence: a mint that races a deletion either finishes before the
    // erasure starts (which then removes its grant) or is refused.
    return this.fence.admit(scope, () => driver.mintToken(scope, request));
  }

  /**
   * Revokes every Qdrant token of a tenant whose place is a Qdrant collection (a move away from
   * it: calls made with them would bypass the gateway, and the move's writes to both places).
   * Nothing to do for a tenant elsewhere.
   */
  async revokeAll(scope: TenantScope): Promise<void> {
    if (scope.placement.backend !== 'qdrant' || scope.placement.strategy !== 'collection') return;
    await this.qdrant().revokeTokens(scope);
  }

  private qdrant(): QdrantBackend {
    const driver = this.drivers.has('qdrant') ? this.drivers.get('qdrant') : undefined;
    if (!(driver instanceof QdrantBackend)) {
      throw new ConflictError('the Qdrant backend is not enabled (QDRANT_URL)');
    }
    return driver;
  }
}
