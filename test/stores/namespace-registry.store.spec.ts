import { setTimeout as sleep } from 'node:timers/promises';
import { SqlDatabase } from '@vecgate/core';
import { NamespaceRegistry, TenantRegistryRepository } from '@vecgate/tenancy';
import { tenancyMigrations, TenancyTables } from '@vecgate/tenancy/registry/tenancy.tables';
import { describeIfAvailable, SqlTarget, sqlTargets, withStore } from './sql-targets';
import { openRegistry, withTwoReplicas } from './registry-store';
import { options, T0, tenant } from './tenancy-fixtures';

const names = async (registry: NamespaceRegistry, uid: string): Promise<string[]> =>
  (await registry.list(uid)).map((e) => e.name);

describe.each(sqlTargets())('namespace registry on $name', (target: SqlTarget) => {
  describeIfAvailable(target)('one replica', () => {
    let database: SqlDatabase;
    let repository: TenantRegistryRepository;
    let registry: NamespaceRegistry;

    withStore(
      target,
      async (store) => {
        ({ database, repository } = await openRegistry(store));
        registry = new NamespaceRegistry(repository, database, options(60_000));
        await registry.onModuleInit();
      },
      { close: async () => registry?.onApplicationShutdown() },
    );

    it('upgrades a registry made before namespaces in place: tenants kept, none listed', async () => {
      const old = await target.create();
      try {
        const db = old.open();
        const before = Object.fromEntries(
          Object.entries(tenancyMigrations).filter(([name]) => name < '0130'),
        );
        await db.migrate('tenancy', before);
        const earlier = tenant('earlier');
        await db
          .kysely<TenancyTables>()
          .insertInto('vg_tenants')
          .values({
            uid: earlier.uid,
            id: earlier.id,
            status: 'active',
            tier: 'standard',
            backend: 'embedded',
            strategy: 'partition_key',
            location: '{}',
            dimension: 3,
            metric: 'cosine',
            supersedes_deleted_at: null,
            owner: 'replica-a',
            created_at: T0,
            updated_at: T0,
          })
          .execute();
        const upgraded = await TenantRegistryRepository.open(db);
        expect((await upgraded.findById('earlier'))?.uid).toBe(earlier.uid);
        expect(await upgraded.namespaces.list(earlier.uid)).toEqual([]);
        expect(await upgraded.namespaces.add(earlier.uid, 'docs', 5, T0)).toBe('created');
      } finally {
        await old.dispose();
      }
    });

    it('registers up to the cap, then refuses; repeats are not counted twice', async () => {
      const uid = tenant('capped').uid;
      expect(await registry.register(uid, 'b', 2)).toBe('created');
      expect(await registry.register(uid, 'b', 2)).toBe('exists');
      expect(await registry.register(uid, 'a', 2)).toBe('created');
      expect(await registry.register(uid, 'c', 2)).toBe('full');
      expect(await registry.register(uid, 'a', 2)).toBe('exists');
      expect(await names(registry, uid)).toEqual(['a', 'b']);
      expect(await registry.remove(uid, 'a')).toBe(true);
      expect(await registry.remove(uid, 'a')).toBe(false);
      expect(await registry.register(uid, 'c', 2)).toBe('created');
      expect(await names(registry, uid)).toEqual(['b', 'c']);
    });

    it('holds the cap under concurrent registrations in one process', async () => {
      const uid = tenant('racing').uid;
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => registry.register(uid, `ns-${i}`, 5)),
      );
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(5);
      expect(outcomes.filter((o) => o === 'full')).toHaveLength(15);
      expect(await repository.namespaces.list(uid)).toHaveLength(5);
    });

    it('keeps each tenant’s namespaces apart, names compared exactly', async () => {
      const a = tenant('a').uid;
      const b = tenant('b').uid;
      await registry.register(a, 'Docs', 10);
      await registry.register(a, 'docs', 10);
      await registry.register(b, 'docs', 10);
      expect(await names(registry, a)).toEqual(['Docs', 'docs']);
      expect(await names(registry, b)).toEqual(['docs']);
      expect(await registry.has(b, 'Docs')).toBe(false);
      expect((await registry.lookup(a, 'docs'))?.createdAt).toBeGreaterThan(T0);
      expect(await registry.lookup(b, 'Docs')).toBeUndefined();
    });

    it('answers from its cache: a row written behind its back shows only after a change', async () => {
      const uid = tenant('cached').uid;
      expect(await names(registry, uid)).toEqual([]);
      await repository.namespaces.add(uid, 'hidden', 10, Date.now());
      expect(await registry.has(uid, 'hidden')).toBe(false);
      // lookup reads the table, for the control plane.
      expect(await registry.lookup(uid, 'hidden')).toBeDefined();
      await registry.register(uid, 'seen', 10);
      expect(await names(registry, uid)).toEqual(['hidden', 'seen']);
    });

    it('forgets a tenant’s namespaces with its tombstone, and with a removed row', async () => {
      const gone = tenant('gone');
      const failed = tenant('failed');
      for (const t of [gone, failed]) {
        expect(await repository.insert(t)).toBe(true);
        await registry.register(t.uid, 'one', 10);
        await registry.register(t.uid, 'two', 10);
      }
      await repository.tombstone(gone, T0 + 1, 'admin');
      await repository.remove(failed.uid);
      expect(await repository.namespaces.list(gone.uid)).toEqual([]);
      expect(await repository.namespaces.list(failed.uid)).toEqual([]);
    });
  });

  // LISTEN/NOTIFY between replicas: PostgreSQL only (SQLite is one process by design).
  const replicas = target.name === 'postgres' ? describeIfAvailable(target) : describe.skip;
  replicas('two replicas on one database', () => {
    let registryA: NamespaceRegistry;
    let registryB: NamespaceRegistry;

    withTwoReplicas(target, (a, b) => {
      registryA = new NamespaceRegistry(a.repository, a.database, options(60_000));
      registryB = new NamespaceRegistry(b.repository, b.database, options(60_000));
      return [registryA, registryB];
    });

    it('a namespace created or removed on A reaches B well within the cache bound', async () => {
      const uid = tenant('shared').uid;
      expect(await names(registryB, uid)).toEqual([]);
      await registryA.register(uid, 'docs', 10);
      const until = async (want: string[]): Promise<number> => {
        const start = Date.now();
        while (Date.now() - start < 2_000) {
          if (JSON.stringify(await names(registryB, uid)) === JSON.stringify(want)) break;
          await sleep(20);
        }
        return Date.now() - start;
      };
      expect(await until(['docs'])).toBeLessThan(2_000);
      expect(await names(registryB, uid)).toEqual(['docs']);
      await registryA.remove(uid, 'docs');
      expect(await until([])).toBeLessThan(2_000);
      expect(await registryB.has(uid, 'docs')).toBe(false);
    });
  });
});
