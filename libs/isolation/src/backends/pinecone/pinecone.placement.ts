import { UnavailableError, UnprocessableError } from '@vecgate/core';
import { PlacementRequest } from '../../ports/backend-admin';
import { Placement, TenantScope, VectorSpace } from '../../ports/vector.types';
import {
  assertTenantUid,
  dedicatedIndexName,
  INDEX_NAME,
  namespaceOf,
  TENANT_UID,
  uidHash,
} from './pinecone.naming';
import { PineconeCredentials, PineconeOptions, PineconeSharedIndex } from './pinecone.options';
import { PineconeSecretProvider, tenantKeyFile, tenantKeyVariable } from './pinecone.secrets';

/** A tenant's place, read back from its placement and checked against its uid and space. */
export type PineconePlace =
  | {
      readonly strategy: 'namespace';
      readonly index: PineconeSharedIndex;
      readonly namespace: string;
    }
  | {
      readonly strategy: 'dedicated_index';
      readonly indexName: string;
      readonly namespace: string;
      readonly credentials: PineconeCredentials;
    };

/**
 * Physical names: planning a tenant's place, and reading a placement back. A placement is data
 * from the registry; it is used only when it names exactly what the uid and space derive
 * (the namespace, a configured shared index of that space, a dedicated index named from that
 * uid), so a damaged or foreign placement fails closed instead of addressing someone else.
 */
export class PineconePlacements {
  constructor(private readonly options: PineconeOptions) {}

  sharedIndexFor(space: VectorSpace): PineconeSharedIndex | undefined {
    return this.options.sharedIndexes.find(
      (i) => i.dimension === space.dimension && i.metric === space.metric,
    );
  }

  plan(request: PlacementRequest): Placement {
    assertTenantUid(request.tenantUid);
    const namespace = namespaceOf(request.tenantUid);
    switch (request.strategy) {
      case 'namespace': {
        const index = this.sharedIndexFor(request.space);
        if (!index) {
          const pair = `${request.space.dimension}:${request.space.metric}`;
          throw new UnprocessableError(
            `no Pinecone shared index is mapped to dimension ${request.space.dimension} and ` +
              `metric ${request.space.metric} (${pair}); add it to PINECONE_SHARED_INDEXES`,
            'dimension',
          );
        }
        return {
          backend: 'pinecone',
          strategy: 'namespace',
          location: { index: index.name, namespace },
        };
      }
      case 'dedicated_index': {
        const dedicated = this.options.dedicated;
        if (!dedicated) {
          throw new UnprocessableError(
            'the Pinecone dedicated_index strategy is not enabled (PINECONE_DEDICATED_SPEC)',
            'strategy',
          );
        }
        return {
          backend: 'pinecone',
          strategy: 'dedicated_index',
          location: {
            index: dedicatedIndexName(dedicated.indexPrefix, request.tenantUid),
            namespace,
            credentials: dedicated.credentials,
          },
        };
      }
      case 'database':
      case 'collection':
      case 'partition':
      case 'partition_key':
        throw new UnprocessableError(
          `backend pinecone has no ${request.strategy} strategy`,
          'strategy',
        );
    }
  }

  /** The scope's place, or an error before anything is sent. */
  placeOf(scope: TenantScope): PineconePlace {
    return this.read(scope.placement, scope.tenantUid, scope.space, `tenant ${scope.tenantId}`);
  }

  /**
   * The place a placement names for a uid and space. `owner` labels errors. Throws (before any
   * request) unless every name is the one derived from the uid and space.
   */
  read(placement: Placement, tenantUid: string, space: VectorSpace, owner: string): PineconePlace {
    const location = placement.location;
    const refuse = (why: string) =>
      new Error(`placement of ${owner} is not usable on Pinecone: ${why}`);
    if (placement.backend !== 'pinecone') throw refuse('it belongs to another backend');
    if (!TENANT_UID.test(tenantUid)) throw refuse('its tenant uid is not 32 hex characters');
    const namespace = location.namespace;
    if (typeof namespace !== 'string' || namespace.length === 0)
      throw refuse('it names no namespace (the default namespace is never used)');
    if (namespace !== namespaceOf(tenantUid))
      throw refuse('its namespace is not the one derived from its uid');
    const indexName = location.index;
    if (typeof indexName !== 'string' || !INDEX_NAME.test(indexName))
      throw refuse('it names no valid index');
    switch (placement.strategy) {
      case 'namespace': {
        const index = this.options.sharedIndexes.find((i) => i.name === indexName);
        if (!index) throw refuse(`shared index ${indexName} is not configured`);
        if (index.dimension !== space.dimension || index.metric !== space.metric)
          throw refuse(`shared index ${indexName} is not configured for its vector space`);
        return { strategy: 'namespace', index, namespace };
      }
      case 'dedicated_index': {
        // The prefix may have changed since; the hash part must be this uid's.
        if (!indexName.endsWith(uidHash(tenantUid)))
          throw refuse('its index is not named from its uid');
        const credentials = location.credentials;
        if (credentials !== 'project' && credentials !== 'tenant')
          throw refuse('it names no credentials');
        return { strategy: 'dedicated_index', indexName, namespace, credentials };
      }
      case 'database':
      case 'collection':
      case 'partition':
      case 'partition_key':
        throw refuse(`Pinecone has no ${placement.strategy} strategy`);
    }
  }
}

/**
 * The API key for a place: the project key, or the tenant's own, which must exist (a tenant
 * placed in its own project is never served, nor its index created, with the project key).
 */
export async function apiKeyFor(
  credentials: PineconeCredentials,
  tenantUid: string,
  projectKey: string,
  secrets: PineconeSecretProvider,
): Promise<string> {
  if (credentials === 'project') return projectKey;
  let key: string | undefined;
  try {
    key = await secrets.tenantApiKey(tenantUid);
  } catch {
    throw new UnavailableError(
      'the Pinecone API key of this tenant could not be read',
      5,
      'pinecone_tenant_key_unreadable',
    );
  }
  if (!key) {
    throw new UnavailableError(
      `no Pinecone API key is configured for this tenant (set ${tenantKeyVariable(tenantUid)} ` +
        `or mount ${tenantKeyFile(tenantUid)} in PINECONE_TENANT_KEYS_DIR)`,
      5,
      'pinecone_tenant_key_missing',
    );
  }
  return key;
}
