import { UnprocessableError } from '@vecgate/core';
import { StrategyName, TenantScope, VectorSpace } from '../../ports/vector.types';
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
 * The physical primary key of a record: `<uid>:<id>`. The uid has a fixed width of 32
 * characters, so the first 32 characters are always the uid and everything after the colon
 * at position 32 is the caller's id: two different (uid, id) pairs never give the same key,
 * and two tenants' equal ids never collide (a Milvus upsert deletes by primary key).
 */
export function encodePrimaryKey(uid: string, id: string): string {
  assertUid(uid);
  return `${uid}:${id}`;
}

export function decodePrimaryKey(key: string): { uid: string; id: string } {
  const uid = key.slice(0, 32);
  if (key.charAt(32) !== ':' || !UID.test(uid)) {
    throw new MilvusScopeError('not a vecgate primary key');
  }
  return { uid, id: key.slice(33) };
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
 * derived from its uid, strategy and vector space: a tampered, truncated or foreign placement
 * never reaches Milvus.
 */
export function locationOf(options: MilvusOptions, scope: TenantScope): MilvusLocation {
  if (scope.placement.backend !== 'milvus') {
    throw new MilvusScopeError(`placement of tenant ${scope.tenantId} is not on milvus`);
  }
  assertUid(scope.tenantUid);
  const expected = locate(options, scope.placement.strategy, scope.tenantUid, scope.space);
  if (!sameLocation(scope.placement.location, expected)) {
    throw new MilvusScopeError(
      `placement of tenant ${scope.tenantId} does not match its uid, strategy and vector space`,
    );
  }
  return checkNames(expected);
}
