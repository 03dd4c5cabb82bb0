import { UnprocessableError } from '@vecgate/core';
import { PlacementRequest } from '../../ports/backend-admin';
import { Placement, StrategyName, TenantScope, VectorSpace } from '../../ports/vector.types';
import { TENANT_UID as UID } from '../../ports/backend-rules';
import { PGVECTOR_MAX_INDEXED_DIMENSION } from './pgvector.options';

export const PGVECTOR_STRATEGIES = ['collection', 'partition', 'partition_key'] as const;
export type PgvectorStrategy = (typeof PGVECTOR_STRATEGIES)[number];

/** Prefix of a per-tenant table (collection strategy). */
export const TENANT_TABLE_PREFIX = 'vg_t_';
/** Prefix of a per-tenant partition (partition strategy). */
export const TENANT_PARTITION_PREFIX = 'vg_p_';

/**
 * Where a tenant's rows live. `table` is what the data plane reads and writes: the tenant's
 * own table, its partition, or the shared table. `parent` is the partitioned table of the
 * partition strategy.
 */
export interface PgvectorLocation {
  readonly strategy: PgvectorStrategy;
  readonly table: string;
  readonly parent?: string;
}

/** A placement that does not match the names vecgate derives: refused, never used. */
export class PgvectorScopeError extends Error {
  override readonly name = 'PgvectorScopeError';
}

export function checkUid(uid: unknown): string {
  if (typeof uid !== 'string' || !UID.test(uid)) {
    throw new PgvectorScopeError('tenant uid must be 32 hex characters');
  }
  return uid;
}

/** 422 for a vector space the HNSW index cannot take, before anything is created. */
export function checkIndexable(space: VectorSpace): void {
  if (space.dimension > PGVECTOR_MAX_INDEXED_DIMENSION) {
    throw new UnprocessableError(
      `backend pgvector indexes at most ${PGVECTOR_MAX_INDEXED_DIMENSION} dimensions, ` +
        `not ${space.dimension}`,
      'dimension',
    );
  }
}

/** `vg_shared_<dimension>_<metric>` and `vg_part_<dimension>_<metric>`: one per vector space. */
export function sharedTable(kind: 'shared' | 'part', space: VectorSpace): string {
  if (!Number.isSafeInteger(space.dimension) || space.dimension < 1) {
    throw new PgvectorScopeError(`invalid dimension ${space.dimension}`);
  }
  return `vg_${kind}_${space.dimension}_${space.metric}`;
}

/** Deterministic physical names; 422 for a strategy or a space pgvector cannot hold. */
export function locate(strategy: StrategyName, uid: string, space: VectorSpace): PgvectorLocation {
  checkUid(uid);
  switch (strategy) {
    case 'collection':
      return { strategy, table: `${TENANT_TABLE_PREFIX}${uid}` };
    case 'partition':
      return {
        strategy,
        table: `${TENANT_PARTITION_PREFIX}${uid}`,
        parent: sharedTable('part', space),
      };
    case 'partition_key':
      return { strategy, table: sharedTable('shared', space) };
    case 'database':
    case 'namespace':
    case 'dedicated_index':
      throw new UnprocessableError(`backend pgvector has no ${strategy} strategy`, 'strategy');
  }
}

/** A new tenant's placement: 422 for a strategy or a vector space pgvector cannot hold. */
export function pgvectorPlacement(request: PlacementRequest): Placement {
  const location = locate(request.strategy, request.tenantUid, request.space);
  checkIndexable(request.space);
  return { backend: 'pgvector', strategy: request.strategy, location: locationRecord(location) };
}

/** The placement's location as stored in the registry. */
export function locationRecord(location: PgvectorLocation): Record<string, string> {
  return location.parent === undefined
    ? { table: location.table }
    : { table: location.table, parent: location.parent };
}

function sameLocation(actual: Readonly<Record<string, string>>, expected: PgvectorLocation) {
  const wanted = locationRecord(expected);
  const keys = Object.keys(actual).sort();
  return (
    keys.length === Object.keys(wanted).length && keys.every((key) => actual[key] === wanted[key])
  );
}

/**
 * Reads the location back from the scope and refuses anything that is not exactly the names
 * derived from its uid, strategy and vector space: a tampered or foreign placement never
 * becomes a table name.
 */
export function locationOf(scope: TenantScope): PgvectorLocation {
  const { placement, tenantUid, space } = scope;
  if (placement.backend !== 'pgvector') {
    throw new PgvectorScopeError('placement is not on pgvector');
  }
  const expected = locate(placement.strategy, tenantUid, space);
  if (!sameLocation(placement.location, expected)) {
    throw new PgvectorScopeError('placement does not match its uid, strategy and vector space');
  }
  return expected;
}
