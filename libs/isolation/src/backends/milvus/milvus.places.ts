import { ErasureReport } from '../../ports/backend-admin';
import { VectorSpace } from '../../ports/vector.types';
import { capacityError, CreationPlan, needsNothing } from './milvus.limits';
import { MilvusLocation, MilvusStrategy } from './milvus.naming';
import { MilvusOptions } from './milvus.options';
import { MilvusDdl } from './milvus.ddl';
import { EVERY_NAMESPACE, tenantWideFilter } from './milvus.scope';
import { MilvusStatements, StatementScope } from './milvus.statements';

/**
 * Creates and removes a tenant's places. Capacity is checked before anything is created;
 * a provision that fails part-way drops what it created itself (never a shared collection,
 * which other tenants may already use); an erasure tolerates places that are already gone.
 */
export class MilvusPlaces {
  constructor(
    private readonly ddl: MilvusDdl,
    private readonly statements: MilvusStatements,
    private readonly options: MilvusOptions,
  ) {}

  /** What provisioning this location would create, from what exists now. */
  async plan(strategy: MilvusStrategy, location: MilvusLocation): Promise<CreationPlan> {
    const databases = await this.ddl.databases();
    const hasDatabase = databases.includes(location.database);
    const collections = hasDatabase ? ((await this.ddl.collections(location.database)) ?? []) : [];
    const hasCollection = collections.includes(location.collection);
    const base = { databases: hasDatabase ? 0 : 1, collections: hasCollection ? 0 : 1 };
    if (strategy !== 'partition' || location.partition === undefined) return base;
    if (!hasCollection)
      return { ...base, partition: { collection: location.collection, existing: 1 } };
    const partitions = (await this.ddl.partitions(location.database, location.collection)) ?? [];
    if (partitions.includes(location.partition)) return base;
    return { ...base, partition: { collection: location.collection, existing: partitions.length } };
  }

  /** Throws the 507 of the first limit the tenant's places would exceed. */
  async checkCapacity(strategy: MilvusStrategy, location: MilvusLocation): Promise<void> {
    const plan = await this.plan(strategy, location);
    if (needsNothing(plan)) return;
    const census =
      plan.databases > 0 || plan.collections > 0
        ? await this.ddl.census()
        : { databases: 0, collections: 0 };
    const error = capacityError(this.options.limits, plan, census);
    if (error) throw error;
  }

  async provision(
    strategy: MilvusStrategy,
    location: MilvusLocation,
    space: VectorSpace,
  ): Promise<void> {
    // Checked again here, right before creating: the admin's check may be a while ago.
    await this.checkCapacity(strategy, location);
    const undo: (() => Promise<void>)[] = [];
    const { database, collection, partition } = location;
    try {
      switch (strategy) {
        case 'database':
          if (await this.ddl.ensureDatabase(database)) {
            undo.push(() => this.ddl.dropDatabase(database));
          }
          await this.ddl.ensureCollection(database, collection, space, false, () =>
            undo.push(() => this.ddl.dropCollection(database, collection)),
          );
          return;
        case 'collection':
          await this.ddl.ensureDatabase(database);
          await this.ddl.ensureCollection(database, collection, space, false, () =>
            undo.push(() => this.ddl.dropCollection(database, collection)),
          );
          return;
        case 'partition':
          if (partition === undefined) throw new Error('a partition placement needs a partition');
          await this.ddl.ensureDatabase(database);
          await this.ddl.ensureCollection(database, collection, space, false);
          await this.ddl.ensurePartition(database, collection, partition, () =>
            undo.push(() => this.ddl.dropPartition(database, collection, partition)),
          );
          return;
        case 'partition_key':
          await this.ddl.ensureDatabase(database);
          await this.ddl.ensureCollection(database, collection, space, true);
          return;
      }
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Removes the tenant's place, then verifies: a dropped database or collection must be
   * gone; in a shared collection no row may still carry the tenant uid, in any partition or
   * namespace (the tenant-wide condition needs no list of namespaces).
   */
  async erase(
    strategy: MilvusStrategy,
    tenantUid: string,
    location: MilvusLocation,
  ): Promise<ErasureReport> {
    const { database, collection, partition } = location;
    switch (strategy) {
      case 'database': {
        await this.ddl.dropDatabase(database);
        const left = (await this.ddl.databases()).includes(database) ? 1 : 0;
        return { places: [{ place: `milvus:${database}`, remaining: left }] };
      }
      case 'collection': {
        await this.ddl.dropCollection(database, collection);
        const left = (await this.ddl.describe(database, collection))
          ? Math.max(1, await this.tenantRows(tenantUid, location))
          : 0;
        return { places: [{ place: `milvus:${database}/${collection}`, remaining: left }] };
      }
      case 'partition': {
        if (partition === undefined) throw new Error('a partition placement needs a partition');
        const place = `milvus:${database}/${collection}/${partition}`;
        if (!(await this.ddl.describe(database, collection))) {
          return { places: [{ place, remaining: 0 }] };
        }
        await this.ddl.dropPartition(database, collection, partition);
        const partitionLeft = (await this.ddl.hasPartition(database, collection, partition))
          ? 1
          : 0;
        // The whole collection, not only the partition: no row of the tenant anywhere.
        const rows = await this.tenantRows(tenantUid, { database, collection });
        return { places: [{ place, remaining: Math.max(partitionLeft, rows) }] };
      }
      case 'partition_key': {
        const place = `milvus:${database}/${collection}`;
        if (!(await this.ddl.describe(database, collection))) {
          return { places: [{ place, remaining: 0 }] };
        }
        const every: StatementScope = { tenantUid, namespace: EVERY_NAMESPACE };
        await this.statements.delete(location, every, tenantWideFilter(tenantUid));
        return { places: [{ place, remaining: await this.tenantRows(tenantUid, location) }] };
      }
    }
  }

  /** The tenant's rows at the location, in every namespace. */
  private tenantRows(tenantUid: string, location: MilvusLocation): Promise<number> {
    const every: StatementScope = { tenantUid, namespace: EVERY_NAMESPACE };
    return this.statements.count(location, every, tenantWideFilter(tenantUid));
  }
}
