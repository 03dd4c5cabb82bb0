import { capacityError, milvusCapabilities, needsNothing } from './milvus.limits';
import { MILVUS_DEFAULT_LIMITS } from './milvus.options';

describe('Milvus limits', () => {
  it('declares the tenants each strategy can hold under the default limits', () => {
    expect(milvusCapabilities(MILVUS_DEFAULT_LIMITS)).toEqual([
      { strategy: 'database', limit: 63, limitName: 'milvus.databases' },
      { strategy: 'collection', limit: 65_536, limitName: 'milvus.collections' },
      { strategy: 'partition', limit: 1_023, limitName: 'milvus.partitions_per_collection' },
      { strategy: 'partition_key', limit: null },
    ]);
  });

  it('answers 507 naming the database limit when a 65th database would be made', () => {
    const error = capacityError(
      MILVUS_DEFAULT_LIMITS,
      { databases: 1, collections: 1 },
      { databases: 64, collections: 64 },
    );
    expect(error?.status).toBe(507);
    expect(error?.extras.reason).toBe('limit:milvus.databases');
    expect(error?.message).toContain('64 of 64 databases');
    expect(
      capacityError(
        MILVUS_DEFAULT_LIMITS,
        { databases: 1, collections: 1 },
        { databases: 63, collections: 63 },
      ),
    ).toBeUndefined();
  });

  it('answers 507 naming the collection limit, counted across the cluster', () => {
    const error = capacityError(
      MILVUS_DEFAULT_LIMITS,
      { databases: 0, collections: 1 },
      { databases: 3, collections: 65_536 },
    );
    expect(error?.extras.reason).toBe('limit:milvus.collections');
    expect(error?.message).toContain('65536 of 65536 collections');
  });

  it('answers 507 naming the partition limit of the shared collection', () => {
    const plan = { databases: 0, collections: 0, partition: { collection: 'c', existing: 1024 } };
    const error = capacityError(MILVUS_DEFAULT_LIMITS, plan, { databases: 0, collections: 0 });
    expect(error?.extras.reason).toBe('limit:milvus.partitions_per_collection');
    expect(error?.message).toContain('collection c holds 1024 of 1024 partitions');
    expect(
      capacityError(
        MILVUS_DEFAULT_LIMITS,
        { ...plan, partition: { collection: 'c', existing: 1023 } },
        { databases: 0, collections: 0 },
      ),
    ).toBeUndefined();
  });

  it('uses overridden limits, and needs nothing when everything exists', () => {
    const limits = { databases: 2, collections: 3, partitionsPerCollection: 4 };
    expect(
      capacityError(limits, { databases: 0, collections: 1 }, { databases: 1, collections: 3 })
        ?.extras.reason,
    ).toBe('limit:milvus.collections');
    expect(needsNothing({ databases: 0, collections: 0 })).toBe(true);
    expect(
      needsNothing({ databases: 0, collections: 0, partition: { collection: 'c', existing: 1 } }),
    ).toBe(false);
  });
});
