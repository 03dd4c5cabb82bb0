import { UnprocessableError } from '@vecgate/core';
import { makeTenantScope, StrategyName } from '../../ports/vector.types';
import { QdrantPlacements } from './qdrant.naming';

const UID = '0123456789abcdef0123456789abcdef';
const placements = new QdrantPlacements({
  sharedCollections: [{ dimension: 1536, metric: 'cosine', collection: 'vg_shared_1536_cosine' }],
  shardedCollections: [{ dimension: 1536, metric: 'cosine', collection: 'vg_sharded_1536_cosine' }],
});
const SPACE = { dimension: 1536, metric: 'cosine' } as const;

describe('Qdrant placements', () => {
  it('names a collection from the tenant uid, or the configured collection of the vector space', () => {
    expect(placements.locate('collection', UID, SPACE)).toEqual({
      strategy: 'collection',
      collection: `vg_t_${UID}`,
    });
    expect(placements.locate('partition_key', UID, SPACE)).toEqual({
      strategy: 'partition_key',
      collection: 'vg_shared_1536_cosine',
    });
    expect(placements.locate('partition', UID, SPACE)).toEqual({
      strategy: 'partition',
      collection: 'vg_sharded_1536_cosine',
      shardKey: UID,
    });
  });

  it.each(['partition_key', 'partition'] as const)(
    'refuses an unmapped vector space on %s with a 422 naming the pair',
    (strategy) => {
      const attempt = () => placements.locate(strategy, UID, { dimension: 768, metric: 'dot' });
      expect(attempt).toThrow(UnprocessableError);
      expect(attempt).toThrow(/768:dot/);
    },
  );

  it.each(['database', 'namespace', 'dedicated_index'] as const)(
    'refuses the %s strategy',
    (strategy: StrategyName) => {
      expect(() => placements.locate(strategy, UID, SPACE)).toThrow(/no .* strategy/);
    },
  );

  it('refuses a uid that is not 32 lowercase hex characters', () => {
    for (const uid of ['', 'abc', 'A'.repeat(32), `${'a'.repeat(31)}/`, '../etc']) {
      expect(() => placements.locate('collection', uid, SPACE)).toThrow(/32 lowercase hex/);
    }
  });

  it('refuses a scope whose stored names do not match its uid, strategy and space', () => {
    const scope = (location: Record<string, string>, strategy: StrategyName = 'collection') =>
      makeTenantScope({
        tenantId: 'acme',
        tenantUid: UID,
        space: SPACE,
        placement: { backend: 'qdrant', strategy, location },
      });
    expect(placements.location(scope({ collection: `vg_t_${UID}` })).collection).toBe(
      `vg_t_${UID}`,
    );
    expect(() => placements.location(scope({ collection: 'vg_t_other' }))).toThrow(
      /does not match/,
    );
    expect(() =>
      placements.location(
        scope({ collection: 'vg_shared_1536_cosine', shardKey: 'x' }, 'partition'),
      ),
    ).toThrow(/does not match/);
    const embedded = makeTenantScope({
      tenantId: 'acme',
      tenantUid: UID,
      space: SPACE,
      placement: { backend: 'embedded', strategy: 'collection', location: {} },
    });
    expect(() => placements.location(embedded)).toThrow(/not placed on qdrant/);
  });
});
