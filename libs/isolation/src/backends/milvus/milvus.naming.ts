import { UnprocessableError } from '@vecgate/core';
import {
  DEFAULT_NAMESPACE,
  isStoredNamespace,
  NAMESPACE_PATTERN,
  StrategyName,
  TenantScope,
  VectorSpace,
} from '../../ports/vector.types';
import { MilvusOptions, spaceKey } from './milvus.options';
import { TENANT_UID as UID } from '../../ports/backend-rules';
export { TENANT_UID as UID } from '../../ports/backend-rules';

/** Database, collection and partition names Milvus accepts (255 characters at most). */
export const MILVUS_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

/** Prefix of every per-tenant physical name; configured shared names may not use it. */
export const TENANT_PREFIX = 'vg_t_';

/** The one collection inside a tenant's own database. */
export const RECORDS_COLLECTION = 'vg_records';

/** Suffix of the shared collection that holds one partition per tenant. */
export const PARTITION_COLLECTION_SUFFIX = '_part';

export const MILVUS_STRATEGIES = ['database', 'collection', 'partition', 'partition_key'] as const;
export type MilvusStrategy = (typeof MILVUS_STRATEGIES)[number];

/** Where a tenant's records live. `partition` is set for the partition strategy only. */
export interface MilvusLocation {
  readonly database: string;
  readonly collection: string;
  readonly partition?: string;
}

/** A placement that does not match the names vecgate derives: refused, never used. */
export class MilvusScopeError extends Error {
  override readonly name = 'MilvusScopeError';
}

export function isMilvusStrategy(strategy: StrategyName): strategy is MilvusStrategy {
  return (MILVUS_STRATEGIES as readonly string[]).includes(strategy);
}

export function assertUid(uid: unknown): asserts uid is string {
  if (typeof uid !== 'string' || !UID.test(uid)) {
    throw new MilvusScopeError('tenant uid must be 32 hex characters');
  }
}

/** `vg_t_<uid>`: the tenant's database, collection or partition, by strategy. */
export function tenantName(uid: string): string {
  assertUid(uid);
  return `${TENANT_PREFIX}${uid}`;
}

/**
 * The physical primary key of a record. In the default namespace `<uid>:<id>` (the key every
 * record had before namespaces, so those records keep theirs); in a named namespace
 * `<uid>/<namespace>/<id>`. The uid has a fixed width of 32 characters and the character after
 * it says which form follows; a namespace never contains `/` (`NAMESPACE_PATTERN`), so the
 * namespace ends at the next `/` and everything after it is the caller's id. Two different
 * (uid, namespace, id) triples never give the same key: two tenants' equal ids never collide
 * (a Milvus upsert deletes by primary key), nor do one tenant's equal ids in two namespaces.
 */
export function encodePrimaryKey(uid: string, namespace: string, id: string): string {
  assertUid(uid);
  assertNamespace(namespace);
  return namespace === DEFAULT_NAMESPACE ? `${uid}:${id}` : `${uid}/${namespace}/${id}`;
}

export function decodePrimaryKey(key: string): { uid: string; namespace: string; id: string } {
  const uid = key.slice(0, 32);
  if (!UID.test(uid)) throw new MilvusScopeError('not a vecgate primary key');
  if (key.charAt(32) === ':') return { uid, namespace: DEFAULT_NAMESPACE, id: key.slice(33) };
  const end = key.indexOf('/', 33);
  const namespace = key.slice(33, end);
  if (key.charAt(32) !== '/' || end < 0 || !NAMESPACE_PATTERN.test(namespace)) {
    throw new MilvusScopeError('not a vecgate primary key');
  }
  return { uid, namespace, id: key.slice(end + 1) };
}

/** The default namespace or a name of `NAMESPACE_PATTERN`: anything else never reaches Milvus. */
export function assertNamespace(namespace: unknown): asserts namespace is string {
  if (!isStoredNamespace(namespace)) {
    throw new MilvusScopeError('namespace is not a valid namespace name');
  }
}

/** The shared collection configured for a vector space; 422 naming the pair when none is. */
export function sharedCollection(options: MilvusOptions, space: VectorSpace): string {
  const key = spaceKey(space.dimension, space.metric);
  const name = options.sharedCollections[key];
  if (name === undefined) {
    throw new UnprocessableError(
      `no Milvus shared collection is configured for dimension ${space.dimension} and metric ` +
        `${space.metric} (add "${key}=<collection>" to MILVUS_SHARED_COLLECTIONS)`,
      'dimension',
    );
  }
  return name;
}

/** Deterministic physical names for a tenant; throws for a strategy Milvus lacks. */
export function locate(
  options: MilvusOptions,
  strategy: StrategyName,
  uid: string,
  space: VectorSpace,
): MilvusLocation {
  const own = tenantName(uid);
  switch (strategy) {
    case 'database':
      return { database: own, collection: RECORDS_COLLECTION };
    case 'collection':
      return { database: options.database, collection: own };
    case 'partition':
      return {
        database: options.database,
        collection: sharedCollection(options, space) + PARTITION_COLLECTION_SUFFIX,
        partition: own,
      };
    case 'partition_key':
      return { database: options.database, collection: sharedCollection(options, space) };
    case 'namespace':
    case 'dedicated_index':
      throw new UnprocessableError(`backend milvus has no ${strategy} strategy`, 'strategy');
  }
}

function sameLocation(actual: Readonly<Record<string, string>>, expected: MilvusLocation): boolean {
  const keys = Object.keys(actual).sort();
  const wanted = Object.keys(expected).sort();
  return (
    keys.length === wanted.length &&
    keys.every((k, i) => k === wanted[i]) &&
    actual.database === expected.database &&
    actual.collection === expected.collection &&
    actual.partition === expected.partition
  );
}

function checkNames(location: MilvusLocation): MilvusLocation {
  for (const name of [location.database, location.collection, location.partition]) {
    if (name !== undefined && !MILVUS_NAME.test(name)) {
      throw new MilvusScopeError(`invalid Milvus name ${name}`);
    }
  }
  return location;
}

/**
 * Reads the location back from the scope and refuses anything that is not exactly the names
 * derived from its uid, strategy and vector space, and a namespace outside the namespace
 * alphabet: a tampered, truncated or foreign placement never reaches Milvus.
 */
export function locationOf(options: MilvusOptions, scope: TenantScope): MilvusLocation {
  if (scope.placement.backend !== 'milvus') {
    throw new MilvusScopeError(`placement of tenant ${scope.tenantId} is not on milvus`);
  }
  assertUid(scope.tenantUid);
  assertNamespace(scope.namespace);
  const expected = locate(options, scope.placement.strategy, scope.tenantUid, scope.space);
  if (!sameLocation(scope.placement.location, expected)) {
    throw new MilvusScopeError(
      `placement of tenant ${scope.tenantId} does not match its uid, strategy and vector space`,
    );
  }
  return checkNames(expected);
}
