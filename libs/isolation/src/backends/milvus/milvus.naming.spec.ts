import { makeTenantScope, Placement, StrategyName, VectorSpace } from '../../ports/vector.types';
import { locate, locationOf } from './milvus.naming';
import { MILVUS_DEFAULT_LIMITS, MilvusOptions } from './milvus.options';

const UID = '0123456789abcdef0123456789abcdef';
const OTHER = 'fedcba9876543210fedcba9876543210';
const SPACE: VectorSpace = { dimension: 8, metric: 'cosine' };

const OPTIONS: MilvusOptions = {
  address: '127.0.0.1:19530',
  database: 'shared_db',
  sharedCollections: { '8:cosine': 'vg_shared_8_cosine' },
  indexType: 'AUTOINDEX',
  limits: MILVUS_DEFAULT_LIMITS,
  timeoutMs: 1000,
  maxRetries: 0,
  loadTimeoutMs: 1000,
};

function scope(strategy: StrategyName, location: Record<string, string>, uid = UID) {
  const placement: Placement = { backend: 'milvus', strategy, location };
  return makeTenantScope({ tenantId: 'acme', tenantUid: uid, placement, space: SPACE });
}

describe('Milvus physical names', () => {
  it('derives every name from the tenant uid and the configured shared collections', () => {
    expect(locate(OPTIONS, 'database', UID, SPACE)).toEqual({
      database: `vg_t_${UID}`,
      collection: 'vg_records',
    });
    expect(locate(OPTIONS, 'collection', UID, SPACE)).toEqual({
      database: 'shared_db',
      collection: `vg_t_${UID}`,
    });
    expect(locate(OPTIONS, 'partition', UID, SPACE)).toEqual({
      database: 'shared_db',
      collection: 'vg_shared_8_cosine_part',
      partition: `vg_t_${UID}`,
    });
    expect(locate(OPTIONS, 'partition_key', UID, SPACE)).toEqual({
      database: 'shared_db',
      collection: 'vg_shared_8_cosine',
    });
  });

  it('answers 422 naming the pair when no shared collection is mapped for it', () => {
    for (const strategy of ['partition', 'partition_key'] as const) {
      expect(() => locate(OPTIONS, strategy, UID, { dimension: 12, metric: 'dot' })).toThrow(
        expect.objectContaining({
          status: 422,
          message: expect.stringContaining('"12:dot=<collection>"') as string,
        }),
      );
    }
    expect(locate(OPTIONS, 'collection', UID, { dimension: 12, metric: 'dot' }).collection).toBe(
      `vg_t_${UID}`,
    );
  });

  it('has no namespace or dedicated_index strategy', () => {
    for (const strategy of ['namespace', 'dedicated_index'] as const) {
      expect(() => locate(OPTIONS, strategy, UID, SPACE)).toThrow(
        expect.objectContaining({ status: 422 }),
      );
    }
  });

  it('accepts a scope only with exactly the names its uid, strategy and space derive', () => {
    const good = scope('partition', {
      database: 'shared_db',
      collection: 'vg_shared_8_cosine_part',
      partition: `vg_t_${UID}`,
    });
    expect(locationOf(OPTIONS, good).partition).toBe(`vg_t_${UID}`);
    const tampered: Record<string, string>[] = [
      { database: 'shared_db', collection: 'vg_shared_8_cosine_part' },
      { database: 'shared_db', collection: 'vg_shared_8_cosine_part', partition: '' },
      { database: 'shared_db', collection: 'vg_shared_8_cosine_part', partition: `vg_t_${OTHER}` },
      { database: 'default', collection: 'vg_shared_8_cosine_part', partition: `vg_t_${UID}` },
      { database: 'shared_db', collection: 'vg_shared_8_cosine', partition: `vg_t_${UID}` },
      {
        database: 'shared_db',
        collection: 'vg_shared_8_cosine_part',
        partition: `vg_t_${UID}`,
        extra: 'x',
      },
    ];
    for (const location of tampered) {
      expect(() => locationOf(OPTIONS, scope('partition', location))).toThrow(/does not match/);
    }
    const foreign = { ...good, placement: { ...good.placement, backend: 'qdrant' as const } };
    expect(() => locationOf(OPTIONS, foreign)).toThrow(/not on milvus/);
    const noUid = { ...good, tenantUid: '' };
    expect(() => locationOf(OPTIONS, noUid)).toThrow(/32 hex/);
  });
});
