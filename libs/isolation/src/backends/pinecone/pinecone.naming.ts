import { createHash } from 'node:crypto';
import { TENANT_UID } from '../../ports/backend-rules';
export { TENANT_UID } from '../../ports/backend-rules';

/** The only namespaces this backend ever addresses: `vg-` and a tenant uid. */
export const TENANT_NAMESPACE = /^vg-[0-9a-f]{32}$/;

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
 * The tenant's namespace. Injective because the uid has a fixed length and alphabet, and
 * derived from the uid rather than the tenant id, so a late delete aimed at a former tenant
 * can never reach a later tenant that reuses its id.
 */
export function namespaceOf(tenantUid: string): string {
  assertTenantUid(tenantUid);
  return `vg-${tenantUid}`;
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
