import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { TENANT_FIELD } from './qdrant.payload';

export type QdrantAccess = 'r' | 'rw';
export const QDRANT_ACCESS: readonly QdrantAccess[] = ['r', 'rw'];

/**
 * The claims of a Qdrant JWT (Qdrant's `src/common/auth/claims.rs`): `access` in its list form
 * grants one mode on each named collection and nothing else (no global access); Qdrant checks
 * `exp` and, on every request, that `value_exists` still finds a point.
 */
export interface QdrantTokenClaims {
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  /** Shown in Qdrant's audit log. */
  readonly subject: string;
  readonly access: readonly { readonly collection: string; readonly access: QdrantAccess }[];
  readonly value_exists: {
    readonly collection: string;
    readonly matches: readonly { readonly key: string; readonly value: string }[];
  };
}

export interface QdrantGrant {
  readonly tenantId: string;
  readonly tenantUid: string;
  /** The one collection the token opens. */
  readonly collection: string;
  /** The collection whose grant point keeps the token valid. */
  readonly grantsCollection: string;
  readonly access: QdrantAccess;
  readonly ttlSeconds: number;
}

export function qdrantTokenClaims(grant: QdrantGrant, now: number): QdrantTokenClaims {
  return {
    iat: now,
    exp: now + grant.ttlSeconds,
    jti: randomUUID(),
    subject: `vecgate tenant ${grant.tenantId}`,
    access: [{ collection: grant.collection, access: grant.access }],
    value_exists: {
      collection: grant.grantsCollection,
      matches: [{ key: TENANT_FIELD, value: grant.tenantUid }],
    },
  };
}

/**
 * The key Qdrant verifies tokens with: the API key's bytes, prepared once (given a string,
 * jsonwebtoken first tries to read it as a PEM private key, about a millisecond per token).
 */
export function qdrantSigningKey(apiKey: string): KeyObject {
  return createSecretKey(Buffer.from(apiKey, 'utf8'));
}

/** Signs the claims the way Qdrant verifies them: HS256 with the API key's bytes. */
export function signQdrantToken(claims: QdrantTokenClaims, key: KeyObject): string {
  // jsonwebtoken keeps a given `iat` (and drops it with `noTimestamp`).
  return sign({ ...claims }, key, { algorithm: 'HS256' });
}
