// The Qdrant backend's public surface: what the app and the isolation module use.
export { QdrantBackend } from './qdrant.backend';
export type { MintedQdrantToken, QdrantTokenRequest } from './qdrant.backend';
export { QdrantTokenService } from './qdrant.token-service';
export { QDRANT_ACCESS } from './qdrant.token';
export type { QdrantAccess, QdrantTokenClaims } from './qdrant.token';
// Prefixed here: the isolation library re-exports every backend from one index.
export {
  GRANTS_COLLECTION as QDRANT_GRANTS_COLLECTION,
  QDRANT_DEFAULTS,
  QDRANT_ENV,
  QDRANT_INTEGERS,
  qdrantOptionProblems,
  TENANT_COLLECTION_PREFIX as QDRANT_TENANT_COLLECTION_PREFIX,
} from './qdrant.options';
export type { QdrantEnvKey, QdrantOptions, QdrantSpaceCollection } from './qdrant.options';
