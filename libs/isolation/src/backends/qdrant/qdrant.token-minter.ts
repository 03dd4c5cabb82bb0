import type { KeyObject } from 'node:crypto';
import type { ErasureReport } from '../../ports/backend-admin';
import { BadRequestError, ConflictError } from '@vecgate/core';
import { TenantScope } from '../../ports/vector.types';
import { QdrantGrants } from './qdrant.grants';
import { QdrantLocation } from './qdrant.naming';
import { GRANTS_COLLECTION, QdrantOptions } from './qdrant.options';
import {
  QDRANT_ACCESS,
  QdrantAccess,
  qdrantSigningKey,
  qdrantTokenClaims,
  signQdrantToken,
} from './qdrant.token';

export interface QdrantTokenRequest {
  readonly access: QdrantAccess;
  readonly ttlSeconds: number;
  /** Epoch seconds the token must not outlive (the minter's own expiry). */
  readonly notAfter?: number;
}

export interface MintedQdrantToken {
  readonly token: string;
  readonly expiresAt: string;
  readonly collection: string;
  readonly url: string;
}

/**
 * Qdrant JWTs for collection-strategy tenants: `r` or `rw` on the tenant's collection only, an
 * `exp` within QDRANT_TOKEN_MAX_TTL (and the minter's own expiry), and a `value_exists`
 * condition on the tenant's grant point, which erasing the tenant deletes first.
 *
 * A token opens the whole collection, so every namespace of the tenant: namespaces are payload
 * values (`_vg_ns`), which Qdrant's access rules cannot tell apart.
 */
export class QdrantTokenMinter {
  /** The API key as a signing key, made once; undefined when no API key is configured. */
  private readonly key: KeyObject | undefined;

  constructor(
    private readonly options: QdrantOptions,
    private readonly grants: QdrantGrants,
  ) {
    this.key = options.apiKey ? qdrantSigningKey(options.apiKey) : undefined;
  }

  /** Deletes the tenant's grant, so every token minted for it is refused by Qdrant at once. */
  revokeAll(tenantUid: string): Promise<ErasureReport['places']> {
    return this.grants.revoke(tenantUid);
  }

  async mint(
    scope: TenantScope,
    location: QdrantLocation,
    request: QdrantTokenRequest,
  ): Promise<MintedQdrantToken> {
    if (location.strategy !== 'collection') {
      throw new ConflictError(
        `tenant ${scope.tenantId} uses the ${location.strategy} strategy, in a collection shared with other tenants: a Qdrant token cannot be restricted to one tenant there (only collection-strategy tenants can have one)`,
      );
    }
    const key = this.key;
    if (!key) {
      throw new ConflictError(
        'Qdrant tokens cannot be minted: QDRANT_API_KEY (the key Qdrant verifies them with) is not configured',
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const ttlSeconds = this.checkRequest(request, now);
    await this.grants.grant(scope.tenantUid, location.collection);
    const claims = qdrantTokenClaims(
      {
        tenantId: scope.tenantId,
        tenantUid: scope.tenantUid,
        collection: location.collection,
        grantsCollection: GRANTS_COLLECTION,
        access: request.access,
        ttlSeconds,
      },
      now,
    );
    return {
      token: signQdrantToken(claims, key),
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      collection: location.collection,
      url: this.options.publicUrl ?? this.options.url,
    };
  }

  /** The request's lifetime in seconds, once access and lifetime are within the rules. */
  private checkRequest(request: QdrantTokenRequest, now: number): number {
    if (!QDRANT_ACCESS.includes(request.access)) {
      throw new BadRequestError(`access must be one of ${QDRANT_ACCESS.join(', ')}`, 'access');
    }
    const ttlSeconds = request.ttlSeconds;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new BadRequestError('ttlSeconds must be a positive integer', 'ttlSeconds');
    }
    if (ttlSeconds > this.options.tokenMaxTtlSeconds) {
      throw new BadRequestError(
        `ttlSeconds must be at most ${this.options.tokenMaxTtlSeconds} (QDRANT_TOKEN_MAX_TTL)`,
        'ttlSeconds',
      );
    }
    if (request.notAfter !== undefined && now + ttlSeconds > request.notAfter) {
      throw new BadRequestError(
        `ttlSeconds must not outlive the minter's own token (${Math.max(0, request.notAfter - now)} s left)`,
        'ttlSeconds',
      );
    }
    return ttlSeconds;
  }
}
