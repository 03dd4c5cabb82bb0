import { BadRequestError } from '../../../../core/src/errors/vecgate.error';
import {
  isStoredNamespace,
  NAMESPACE_PATTERN,
  StrategyName,
  TenantScope,
  VectorSpace,
} from '../../ports/vector.types';
import type { EngineTarget } from './embedded.engine-protocol';
export { TENANT_UID as UID } from '../../ports/backend-rules';

/** The file every `collection` and `partition_key` tenant lives in. */
export const SHARED_FILE = 'embedded.db';
const TENANT_FILE = /^tenants\/[0-9a-f]{32}\.db$/;

export type EmbeddedStrategy = Extract<StrategyName, 'database' | 'collection' | 'partition_key'>;

export interface EmbeddedLocation {
  readonly file: string;
  readonly table: string;
}

/** Where a tenant's records live, derived only from its uid, strategy and vector space. */
export function locate(strategy: StrategyName, uid: string, space: VectorSpace): EmbeddedLocation {
  switch (strategy) {
    case 'database':
      return { file: `tenants/${uid}.db`, table: 'vectors' };
    case 'collection':
      return { file: SHARED_FILE, table: `vg_t_${uid}` };
    case 'partition_key':
      return { file: SHARED_FILE, table: `vg_shared_${space.dimension}_${space.metric}` };
    case 'partition':
    case 'namespace':
    case 'dedicated_index':
      throw new Error(`embedded backend has no ${strategy} strategy`);
  }
}

/** Refuses a file name the backend would never make (a path outside its directory). */
export function assertEmbeddedFile(file: string): void {
  if (file !== SHARED_FILE && !TENANT_FILE.test(file))
    throw new Error(`invalid embedded file ${file}`);
}

/**
 * Refuses a namespace outside the documented alphabet. The namespace is only ever a bound
 * parameter; the check keeps what reaches storage (and cache keys) to names the gateway accepts.
 */
export function assertNamespace(namespace: string): void {
  if (typeof namespace !== 'string')
    throw new Error('a tenant scope without a namespace reached the embedded backend');
  if (!isStoredNamespace(namespace))
    throw new BadRequestError('namespace must match ' + String(NAMESPACE_PATTERN), 'namespace');
}

/**
 * Reads the location back from the scope and refuses anything that is not a name we make for
 * this uid, strategy and vector space: what a worker is sent for one tenant.
 */
export function targetOf(scope: TenantScope): EngineTarget {
  const strategy = scope.placement.strategy;
  const expected = locate(strategy, scope.tenantUid, scope.space);
  const { file, table } = scope.placement.location;
  if (file !== expected.file || table !== expected.table) {
    throw new Error(`placement of tenant ${scope.tenantId} does not match its uid and strategy`);
  }
  assertEmbeddedFile(file);
  assertNamespace(scope.namespace);
  switch (strategy) {
    case 'database':
    case 'collection':
    case 'partition_key':
      return {
        tenantUid: scope.tenantUid,
        namespace: scope.namespace,
        strategy,
        file,
        table,
        dimension: scope.space.dimension,
        metric: scope.space.metric,
      };
    case 'partition':
    case 'namespace':
    case 'dedicated_index':
      throw new Error(`embedded backend has no ${strategy} strategy`);
  }
}
