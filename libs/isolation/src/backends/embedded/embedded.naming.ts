import { StrategyName, VectorSpace } from '../../ports/vector.types';
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
