import { BadRequestError, UnprocessableError } from '@vecgate/core';
import { createHash } from 'node:crypto';
import { PlacementRequest } from '../../ports/backend-admin';
import { TENANT_UID } from '../../ports/backend-rules';
import {
  DEFAULT_NAMESPACE,
  isStoredNamespace,
  NAMESPACE_PATTERN,
  Placement,
  TenantScope,
  VectorSpace,
} from '../../ports/vector.types';
import { PineconeCredentials, PineconeOptions, PineconeSharedIndex } from './pinecone.options';
export { TENANT_UID } from '../../ports/backend-rules';

/** A tenant's own namespace, as its placement names it: `vg-` and the uid. */
export const TENANT_NAMESPACE = /^vg-[0-9a-f]{32}$/;

/** Joins the tenant's namespace and one of its named namespaces; outside the names' alphabet. */
export const NAMESPACE_SEPARATOR = '~';

/**
 * The only namespaces this backend ever addresses: a tenant's own (its default namespace), or
 * that name, the separator and one of the tenant's namespace names.
 */
export const DATA_NAMESPACE = new RegExp(
  `^vg-[0-9a-f]{32}(?:${NAMESPACE_SEPARATOR}${NAMESPACE_PATTERN.source.slice(1, -1)})?$`,
);

/** Pinecone index names: lowercase letters, digits and hyphens, at most 45 characters. */
export const INDEX_NAME = /^[a-z0-9](?:[a-z0-9-]{0,43}[a-z0-9])?$/;

/** Hex characters of the uid's SHA-256 kept in a dedicated index name (96 bits). */
export const INDEX_HASH_LENGTH = 24;

/** Longest prefix that still leaves a dedicated index name within Pinecone's 45 characters. */
export const MAX_INDEX_PREFIX = 45 - INDEX_HASH_LENGTH;

/** Tag that marks a dedicated index with the uid it was created for. */
export const OWNER_TAG = 'vg_tenant';

export function assertTenantUid(uid: string): void {
  if (!TENANT_UID.test(uid)) throw new Error('tenant uid must be 32 hex characters');
}

/**
 * The tenant's namespace, which holds its default namespace's records. Injective because the
 * uid has a fixed length and alphabet, and derived from the uid rather than the tenant id, so
 * a late delete aimed at a former tenant can never reach a later tenant that reuses its id.
 */
export function namespaceOf(tenantUid: string): string {
  assertTenantUid(tenantUid);
  return `vg-${tenantUid}`;
}

/**
 * The Pinecone namespace of one of the tenant's namespaces: the tenant's own for the default
 * namespace (where records written before namespaces existed already are), else that name,
 * `~` and the namespace name. Injective: the uid part has a fixed length, so the separator
 * is where it must be, and no tenant's names are a prefix of another tenant's.
 */
export function dataNamespaceOf(tenantUid: string, namespace: string): string {
  const own = namespaceOf(tenantUid);
  if (!isStoredNamespace(namespace)) {
    throw new BadRequestError(
      `namespace "${namespace}" is not a valid namespace name`,
      'namespace',
      'invalid_namespace',
    );
  }
  return namespace === DEFAULT_NAMESPACE ? own : `${own}${NAMESPACE_SEPARATOR}${namespace}`;
}

/** Whether a Pinecone namespace holds records of the tenant (any of its namespaces). */
export function isTenantNamespace(tenantUid: string, name: string): boolean {
  const own = namespaceOf(tenantUid);
  if (name === own) return true;
  return name.startsWith(`${own}${NAMESPACE_SEPARATOR}`) && DATA_NAMESPACE.test(name);
}

/**
 * A dedicated index name: the prefix and a truncated hash of the uid, short enough for
 * Pinecone's 45-character limit whatever the prefix. A hash can collide, so the index carries
 * its owner's uid as a tag and is never used, reused or deleted for another uid.
 */
export function dedicatedIndexName(prefix: string, tenantUid: string): string {
  assertTenantUid(tenantUid);
  const name = `${prefix}${uidHash(tenantUid)}`;
  if (!INDEX_NAME.test(name)) throw new Error(`"${name}" is not a valid Pinecone index name`);
  return name;
}

/** The hash part of a dedicated index name. */
export function uidHash(tenantUid: string): string {
  return createHash('sha256').update(tenantUid).digest('hex').slice(0, INDEX_HASH_LENGTH);
}

/** Validates a dedicated index prefix (lowercase, digits, hyphens; leaves room for the hash). */
export function indexPrefixProblem(prefix: string): string | undefined {
  if (prefix.length > MAX_INDEX_PREFIX) return `must be at most ${MAX_INDEX_PREFIX} characters`;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(prefix))
    return 'must start with a lowercase letter or digit and hold only those and hyphens';
  return undefined;
}

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
 * Planning a tenant's names, and reading a placement back. A placement is data from the
 * registry; it is used only when it names exactly what the uid and space derive (the
 * namespace, a configured shared index of that space, a dedicated index named from that uid),
 * so a damaged or foreign placement fails closed instead of addressing someone else.
 */
export class PineconePlacements {
  constructor(private readonly options: PineconeOptions) {}

  sharedIndexFor(space: VectorSpace): PineconeSharedIndex | undefined {
    return this.options.sharedIndexes.find(
      (i) => i.dimension === space.dimension && i.metric === space.metric,
    );
  }

  plan(request: PlacementRequest): Placement {
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
