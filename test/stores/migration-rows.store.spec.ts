import { SqlDatabase } from '@vecgate/core';
import { TenantMigration, TenantRegistryRepository } from '@vecgate/tenancy';
import { TenancyTables } from '@vecgate/tenancy/registry/tenancy.tables';
import { describeIfAvailable, rejectionOf, SqlTarget, sqlTargets, withStore } from './sql-targets';
import { T0, tenant } from './tenancy-fixtures';

function migration(overrides: Partial<TenantMigration> = {}): TenantMigration {
  return {
    state: 'announced',
    from: {
      tier: 'standard',
      placement: { backend: 'embedded', strategy: 'partition_key', location: { table: 'vg_s' } },
    },
    to: {
      tier: 'enterprise',
      placement: { backend: 'pgvector', strategy: 'collection', location: { table: 'vg_t_"x"' } },
    },
    copied: 0,
    total: 0,
    startedAt: T0,
    startedBy: 'platform-admin',
    updatedAt: T0,
    error: null,
    ...overrides,
  };
}

describe.each(sqlTargets())('migration rows on $name', (target: SqlTarget) => {
  describeIfAvailable(target)('MigrationRows', () => {
    let database: SqlDatabase;
    let repository: TenantRegistryRepository;

    withStore(target, async (store) => {
      database = store.open();
      repository = await TenantRegistryRepository.open(database);
    });

    beforeEach(async () => {
      const db = database.kysely<TenancyTables>();
      await db.deleteFrom('vg_tenant_migrations').execute();
      await db.deleteFrom('vg_tenants').execute();
    });

    it('records a move that the tenant then carries, every field intact, and refuses a second one', async () => {
      const acme = tenant('acme');
      await repository.insert(acme);
      const move = migration({ total: 5_000_000_000 });
      expect(await repository.migrations.start(acme, move)).toBe(true);
      expect(await repository.findById('acme')).toStrictEqual({ ...acme, migration: move });
      expect(await repository.migrations.start(acme, migration({ startedAt: T0 + 1 }))).toBe(false);
      expect((await repository.findById('acme'))?.migration?.startedAt).toBe(T0);
    });

    it('replaces a failed move by a new one', async () => {
      const acme = tenant('acme');
      await repository.insert(acme);
      await repository.migrations.start(
        acme,
        migration({ state: 'failed', error: 'verification' }),
      );
      const next = migration({ startedAt: T0 + 5 });
      expect(await repository.migrations.start(acme, next)).toBe(true);
      expect((await repository.findById('acme'))?.migration).toStrictEqual(next);
    });

    it('moves a phase on only from the states given (a compare-and-set)', async () => {
      const acme = tenant('acme');
      await repository.insert(acme);
      await repository.migrations.start(acme, migration());
      expect(
        await repository.migrations.advance(acme.uid, ['copying'], { state: 'verifying' }, T0 + 1),
      ).toBe(false);
      expect(
        await repository.migrations.advance(acme.uid, ['announced'], { state: 'copying' }, T0 + 2),
      ).toBe(true);
      expect(
        await repository.migrations.advance(acme.uid, ['copying'], { copied: 7, total: 9 }, T0 + 3),
      ).toBe(true);
      expect((await repository.findById('acme'))?.migration).toMatchObject({
        state: 'copying',
        copied: 7,
        total: 9,
        updatedAt: T0 + 3,
      });
      expect(await repository.migrations.tenantsIn(['copying'])).toEqual(['acme']);
      expect(await repository.migrations.tenantsIn(['announced'])).toEqual([]);
    });

    it('switches the tenant to the new tier and placement and the move to switched, in one step', async () => {
      const acme = tenant('acme');
      await repository.insert(acme);
      const move = migration({ state: 'verifying' });
      await repository.migrations.start(acme, move);
      expect(await repository.migrations.switchOver(acme, move.to, 'replica-b', T0 + 9)).toBe(true);
      const after = await repository.findById('acme');
      expect(after).toMatchObject({
        uid: acme.uid,
        tier: 'enterprise',
        placement: move.to.placement,
        owner: acme.owner,
        migration: { state: 'switched' },
      });
      // Only from verifying: a second switch, or one after a cancellation, changes nothing.
      expect(await repository.migrations.switchOver(acme, move.to, 'replica-b', T0 + 10)).toBe(
        false,
      );
    });

    it('leaves both the tenant and its move unchanged when the tenant left the live states', async () => {
      const acme = tenant('acme', { status: 'deleting' });
      await repository.insert(acme);
      const move = migration({ state: 'verifying' });
      await repository.migrations.start(acme, move);
      expect(
        await rejectionOf(repository.migrations.switchOver(acme, move.to, 'replica-b', T0 + 9)),
      ).toMatch(/live/);
      const after = await repository.findById('acme');
      expect(after?.placement).toStrictEqual(acme.placement);
      expect(after?.migration?.state).toBe('verifying');
    });

    it('forgets the move with the tenant when it is tombstoned', async () => {
      const acme = tenant('acme');
      await repository.insert(acme);
      await repository.migrations.start(acme, migration());
      await repository.tombstone(acme, T0 + 1, 'admin');
      expect(await repository.migrations.find(acme.uid)).toBeUndefined();
    });
  });
});
