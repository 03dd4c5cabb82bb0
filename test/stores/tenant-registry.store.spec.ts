import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { SqlDatabase } from '@vecgate/core';
import {
  MintedTokenRecord,
  Tenant,
  TenantRegistry,
  TenantRegistryRepository,
  TenantStatus,
} from '@vecgate/tenancy';
import { RevocationList } from '@vecgate/tenancy/registry/revocation-list';
import { describeIfAvailable, rejectionOf, SqlTarget, sqlTargets, withStore } from './sql-targets';
import { openRegistry, withRegistry, withTwoReplicas } from './registry-store';
import { newUid, options, T0, tenant } from './tenancy-fixtures';

/** Epoch seconds, for tokens. */
const NOW_S = Math.floor(Date.now() / 1000);

/** Every status: these tests change rows regardless of what they are. */
const ANY_STATUS = ['provisioning', 'active', 'suspended', 'deleting'] as const;

const PROPAGATION_POLL_MS = 20;
const PROPAGATION_LIMIT_MS = 2_000;
const REPLICA_CACHE_TTL_MS = 60_000;

function token(owner: Tenant, overrides: Partial<MintedTokenRecord> = {}): MintedTokenRecord {
  return {
    jti: randomBytes(16).toString('hex'),
    tenantUid: owner.uid,
    tenantId: owner.id,
    subject: 'alice@example.com',
    roles: ['reader', 'writer'],
    mintedBy: 'platform-admin',
    lineage: [],
    issuedAt: NOW_S - 60,
    expiresAt: NOW_S + 3600,
    revokedAt: null,
    ...overrides,
  };
}

/** Random ids in the tenant id alphabet, of varying length, hyphens included. */
function randomIds(count: number): string[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const ids = new Set<string>();
  while (ids.size < count) {
    const length = 1 + Math.floor(Math.random() * 12);
    let id = '';
    for (let i = 0; i < length; i++) {
      const inner = i > 0 && i < length - 1 && Math.random() < 0.2;
      id += inner ? '-' : alphabet[Math.floor(Math.random() * alphabet.length)];
    }
    ids.add(id);
  }
  return [...ids];
}

/** Code-unit order, which is byte order for these ASCII ids (SQLite BINARY, PostgreSQL "C"). */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Polls until `check` holds; returns the elapsed ms, or undefined when `limitMs` passed first. */
async function pollUntil(
  check: () => boolean | Promise<boolean>,
  limitMs = PROPAGATION_LIMIT_MS,
): Promise<number | undefined> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > limitMs) return undefined;
    await sleep(PROPAGATION_POLL_MS);
  }
}

/** Makes deleting this tenant id's row fail, inside whatever transaction deletes it. */
async function blockTenantDeletion(
  database: SqlDatabase,
  id: string,
): Promise<() => Promise<void>> {
  const db = database.kysely<object>();
  if (database.dialect === 'postgres') {
    await sql
      .raw(
        `CREATE FUNCTION vg_test_block_delete() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION 'deletion blocked by the test'; END $$`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER vg_test_block BEFORE DELETE ON vg_tenants FOR EACH ROW
         WHEN (OLD.id = '${id}') EXECUTE FUNCTION vg_test_block_delete()`,
      )
      .execute(db);
    return async () => {
      await sql.raw('DROP TRIGGER vg_test_block ON vg_tenants').execute(db);
      await sql.raw('DROP FUNCTION vg_test_block_delete()').execute(db);
    };
  }
  await sql
    .raw(
      `CREATE TRIGGER vg_test_block BEFORE DELETE ON vg_tenants FOR EACH ROW
       WHEN OLD.id = '${id}' BEGIN SELECT RAISE(ABORT, 'deletion blocked by the test'); END`,
    )
    .execute(db);
  return async () => {
    await sql.raw('DROP TRIGGER vg_test_block').execute(db);
  };
}

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const fmt = (n: number | undefined) => (n ?? NaN).toFixed(1);
  return (
    `${label}: ${samples.length} rounds, min ${fmt(sorted[0])} ms, median ${fmt(median)} ms, ` +
    `max ${fmt(sorted[sorted.length - 1])} ms (poll every ${PROPAGATION_POLL_MS} ms; ` +
    `cacheTtlMs ${REPLICA_CACHE_TTL_MS}) [${samples.map((s) => s.toFixed(1)).join(', ')}]`
  );
}

describe.each(sqlTargets())('tenant registry store on $name', (target: SqlTarget) => {
  describeIfAvailable(target)('TenantRegistryRepository', () => {
    let database: SqlDatabase;
    let repository: TenantRegistryRepository;

    withRegistry(target, ['vg_tokens', 'vg_tenant_tombstones', 'vg_tenants'], (registry) => {
      ({ database, repository } = registry);
    });

    it('runs its migrations once: opening again on migrated tables is a no-op', async () => {
      const again = await TenantRegistryRepository.open(database);
      expect(await again.findById('nobody')).toBeUndefined();
    });

    it('inserts a tenant and finds it by id with every field intact', async () => {
      const acme = tenant('acme', { tier: 'gold', supersedesDeletedAt: T0 - 86_400_000 });
      const plain = tenant('plain-1', { metric: 'dot', dimension: 3 });

      expect(await repository.insert(acme)).toBe(true);
      expect(await repository.insert(plain)).toBe(true);

      expect(await repository.findById('acme')).toStrictEqual(acme);
      expect(await repository.findById('plain-1')).toStrictEqual(plain);
      expect(await repository.findById('nobody')).toBeUndefined();
      expect(await repository.findById('ACME')).toBeUndefined();
    });

    it('refuses a duplicate id without overwriting the existing tenant', async () => {
      const first = tenant('dup', { tier: 'standard' });
      const second = tenant('dup', { tier: 'premium', status: 'provisioning', dimension: 8 });

      expect(await repository.insert(first)).toBe(true);
      expect(await repository.insert(second)).toBe(false);

      expect(await repository.findById('dup')).toStrictEqual(first);
      // Whatever the status of the holder of the id, it stays taken.
      await repository.update(first.uid, ANY_STATUS, { status: 'deleting' }, T0 + 1);
      expect(await repository.insert(second)).toBe(false);
      expect((await repository.findById('dup'))?.uid).toBe(first.uid);
    });

    it('updates status and tier, stamping updatedAt, and leaves the rest alone', async () => {
      const original = tenant('upd');
      await repository.insert(original);

      const suspended = await repository.update(
        original.uid,
        ANY_STATUS,
        { status: 'suspended' },
        T0 + 10,
      );
      expect(suspended).toStrictEqual({ ...original, status: 'suspended', updatedAt: T0 + 10 });

      const retiered = await repository.update(original.uid, ANY_STATUS, { tier: 'gold' }, T0 + 20);
      expect(retiered).toStrictEqual({
        ...original,
        status: 'suspended',
        tier: 'gold',
        updatedAt: T0 + 20,
      });

      const both = await repository.update(
        original.uid,
        ANY_STATUS,
        { status: 'active', tier: 'bronze' },
        T0 + 30,
      );
      expect(both).toStrictEqual({ ...original, tier: 'bronze', updatedAt: T0 + 30 });
      expect(await repository.findById('upd')).toStrictEqual(both);

      expect(
        await repository.update(newUid(), ANY_STATUS, { status: 'suspended' }, T0),
      ).toBeUndefined();
    });

    it('changes a tenant only from the statuses given (compare-and-set across replicas)', async () => {
      const deleting = tenant('cas', { status: 'deleting' });
      expect(await repository.insert(deleting)).toBe(true);
      expect(
        await repository.update(
          deleting.uid,
          ['active', 'suspended'],
          { status: 'active' },
          T0 + 1,
        ),
      ).toBeUndefined();
      expect((await repository.findById('cas'))?.status).toBe('deleting');
    });

    it('lists 250 tenants in pages of 100: ordered by id, no duplicates, null cursor at the end', async () => {
      const ids = randomIds(250);
      // Inserted in random order, so only ORDER BY can produce the expected order.
      for (const id of ids) expect(await repository.insert(tenant(id))).toBe(true);
      const expected = [...ids].sort(byCodeUnit);

      const pages: string[][] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const page = await repository.list(100, cursor);
        pages.push(page.items.map((t) => t.id));
        if (page.nextCursor === null) break;
        expect(page.nextCursor).toBe(page.items[page.items.length - 1]?.id);
        cursor = page.nextCursor;
      }

      expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
      const listed = pages.flat();
      expect(new Set(listed).size).toBe(250);
      expect(listed).toEqual(expected);

      // A page that ends exactly at the last tenant has no next cursor either.
      const halves = [await repository.list(125)];
      halves.push(await repository.list(125, halves[0]!.nextCursor!));
      expect(halves.map((p) => p.items.length)).toEqual([125, 125]);
      expect(halves[1]!.nextCursor).toBeNull();

      // A cursor past every id gives an empty last page.
      expect(await repository.list(100, expected[249])).toEqual({ items: [], nextCursor: null });
    });

    it('lists an empty registry as one empty page', async () => {
      expect(await repository.list(100)).toEqual({ items: [], nextCursor: null });
    });

    it('tombstones a tenant: the row and its tokens go, the latest deletion time is kept', async () => {
      const doomed = tenant('doomed');
      const bystander = tenant('bystander');
      await repository.insert(doomed);
      await repository.insert(bystander);
      const doomedTokens = [token(doomed), token(doomed, { revokedAt: NOW_S })];
      const bystanderToken = token(bystander);
      for (const t of [...doomedTokens, bystanderToken]) await repository.tokens.insert(t);

      expect(await repository.latestDeletion('doomed')).toBeNull();
      await repository.tombstone(doomed, T0 + 1_000, 'platform-admin');

      expect(await repository.findById('doomed')).toBeUndefined();
      for (const t of doomedTokens) expect(await repository.tokens.find(t.jti)).toBeUndefined();
      expect(await repository.tokens.revokedJtis(NOW_S)).toEqual([]);
      expect(await repository.tokens.find(bystanderToken.jti)).toStrictEqual(bystanderToken);
      expect(await repository.findById('bystander')).toStrictEqual(bystander);
      expect(await repository.latestDeletion('doomed')).toBe(T0 + 1_000);
      expect(await repository.latestDeletion('bystander')).toBeNull();

      // The id is free again; a new incarnation deleted later moves the latest deletion on.
      const reborn = tenant('doomed', { supersedesDeletedAt: T0 + 1_000 });
      expect(await repository.insert(reborn)).toBe(true);
      await repository.tombstone(reborn, T0 + 5_000, 'platform-admin');
      expect(await repository.latestDeletion('doomed')).toBe(T0 + 5_000);

      // Tombstoning the same incarnation twice keeps the first tombstone.
      await repository.tombstone(reborn, T0 + 9_000, 'recovery');
      expect(await repository.latestDeletion('doomed')).toBe(T0 + 5_000);
    });

    it('tombstones in one transaction: a failure part-way leaves tenant, tokens and no tombstone', async () => {
      const stuck = tenant('stuck');
      await repository.insert(stuck);
      const stuckToken = token(stuck);
      await repository.tokens.insert(stuckToken);

      const unblock = await blockTenantDeletion(database, 'stuck');
      try {
        // The tombstone insert and the token delete run before the failing tenant delete.
        expect(await rejectionOf(repository.tombstone(stuck, T0 + 1, 'platform-admin'))).toMatch(
          /deletion blocked by the test/,
        );
      } finally {
        await unblock();
      }

      expect(await repository.latestDeletion('stuck')).toBeNull();
      expect(await repository.tokens.find(stuckToken.jti)).toStrictEqual(stuckToken);
      expect(await repository.findById('stuck')).toStrictEqual(stuck);

      // Once the obstacle is gone the same call goes through.
      await repository.tombstone(stuck, T0 + 2, 'platform-admin');
      expect(await repository.findById('stuck')).toBeUndefined();
      expect(await repository.latestDeletion('stuck')).toBe(T0 + 2);
    });

    it('removes a tenant row without a tombstone', async () => {
      const rolledBack = tenant('rolled-back', { status: 'provisioning' });
      await repository.insert(rolledBack);
      await repository.remove(rolledBack.uid);
      expect(await repository.findById('rolled-back')).toBeUndefined();
      expect(await repository.latestDeletion('rolled-back')).toBeNull();
      await expect(repository.remove(rolledBack.uid)).resolves.toBeUndefined();
    });

    it('stores, finds and revokes tokens; revoking again keeps the first revocation time', async () => {
      const owner = tenant('token-owner');
      await repository.insert(owner);
      const minted = token(owner, { roles: ['tenant_admin'], subject: 'svc:ingest/01' });
      await repository.tokens.insert(minted);

      expect(await repository.tokens.find(minted.jti)).toStrictEqual(minted);
      expect(await repository.tokens.find('no-such-jti')).toBeUndefined();
      expect(
        await rejectionOf(repository.tokens.insert({ ...minted, subject: 'mallory' })),
      ).toMatch(/unique/i);
      expect((await repository.tokens.find(minted.jti))?.subject).toBe('svc:ingest/01');

      await repository.tokens.revoke(minted, NOW_S);
      expect(await repository.tokens.find(minted.jti)).toStrictEqual({
        ...minted,
        revokedAt: NOW_S,
      });

      await repository.tokens.revoke(minted, NOW_S + 500);
      expect((await repository.tokens.find(minted.jti))?.revokedAt).toBe(NOW_S);
      await expect(
        repository.tokens.revoke({ jti: 'no-such-jti', tenantUid: owner.uid }, NOW_S),
      ).resolves.toEqual([]);
    });

    it('revoking a token revokes every token minted from it, at any depth, and nothing else', async () => {
      const owner = tenant('lineage-owner');
      const other = tenant('lineage-other');
      await repository.insert(owner);
      await repository.insert(other);
      const root = token(owner);
      const child = token(owner, { lineage: [root.jti] });
      const grandchild = token(owner, { lineage: [root.jti, child.jti] });
      const sibling = token(owner, { lineage: [root.jti] });
      const unrelated = token(owner);
      // Expired already: refused anyway, so neither revoked nor announced.
      const expiredChild = token(owner, {
        lineage: [root.jti],
        issuedAt: NOW_S - 7200,
        expiresAt: NOW_S - 1,
      });
      // Another tenant's row that names the same ancestor: the cascade stays inside the tenant.
      const foreign = token(other, { lineage: [root.jti] });
      for (const t of [root, child, grandchild, sibling, unrelated, expiredChild, foreign])
        await repository.tokens.insert(t);

      expect((await repository.tokens.revoke(child, NOW_S)).sort()).toEqual(
        [child.jti, grandchild.jti].sort(),
      );
      expect((await repository.tokens.revokedJtis(NOW_S)).sort()).toEqual(
        [child.jti, grandchild.jti].sort(),
      );
      expect(await repository.tokens.anyRevoked([root.jti, child.jti])).toBe(true);
      expect(await repository.tokens.anyRevoked([root.jti])).toBe(false);
      expect(await repository.tokens.anyRevoked([])).toBe(false);

      expect((await repository.tokens.revoke(root, NOW_S + 5)).sort()).toEqual(
        [root.jti, child.jti, grandchild.jti, sibling.jti].sort(),
      );
      // The first revocation time is kept for tokens revoked earlier.
      expect((await repository.tokens.find(grandchild.jti))?.revokedAt).toBe(NOW_S);
      expect((await repository.tokens.find(sibling.jti))?.revokedAt).toBe(NOW_S + 5);
      expect((await repository.tokens.find(unrelated.jti))?.revokedAt).toBeNull();
      expect((await repository.tokens.find(expiredChild.jti))?.revokedAt).toBeNull();
      expect((await repository.tokens.find(foreign.jti))?.revokedAt).toBeNull();
      expect(await repository.tokens.find(grandchild.jti)).toStrictEqual({
        ...grandchild,
        revokedAt: NOW_S,
      });
    });

    it("lists a tenant's live tokens page by page, without revoked, expired or other tenants' ones", async () => {
      const owner = tenant('listing-owner');
      const other = tenant('listing-other');
      await repository.insert(owner);
      await repository.insert(other);
      const live = Array.from({ length: 5 }, () => token(owner));
      const revoked = token(owner);
      const expired = token(owner, { issuedAt: NOW_S - 7200, expiresAt: NOW_S - 1 });
      for (const t of [...live, revoked, expired, token(other)]) await repository.tokens.insert(t);
      await repository.tokens.revoke(revoked, NOW_S);

      const first = await repository.tokens.listLive(owner.uid, NOW_S, 3);
      expect(first.nextCursor).not.toBeNull();
      const second = await repository.tokens.listLive(owner.uid, NOW_S, 3, first.nextCursor!);
      expect(second.nextCursor).toBeNull();
      const expected = live.map((t) => t.jti).sort(byCodeUnit);
      expect([...first.items, ...second.items].map((t) => t.jti)).toEqual(expected);
      expect(first.items[0]).toStrictEqual(live.find((t) => t.jti === expected[0]));
    });

    it('lists revoked jtis that have not expired yet, and only those', async () => {
      const owner = tenant('revoker');
      await repository.insert(owner);
      const live = token(owner, { expiresAt: NOW_S + 3600 });
      const expired = token(owner, { issuedAt: NOW_S - 7200, expiresAt: NOW_S - 3600 });
      const expiringNow = token(owner, { expiresAt: NOW_S });
      const notRevoked = token(owner);
      for (const t of [live, expired, expiringNow, notRevoked]) await repository.tokens.insert(t);
      for (const t of [live, expired, expiringNow]) await repository.tokens.revoke(t, NOW_S - 10);

      expect(await repository.tokens.revokedJtis(NOW_S)).toEqual([live.jti]);
      expect((await repository.tokens.revokedJtis(NOW_S - 3600)).sort()).toEqual(
        [live.jti, expiringNow.jti].sort(),
      );
      expect(await repository.tokens.revokedJtis(NOW_S + 3600)).toEqual([]);
    });

    it('finds tenants by status, updated at or before a time', async () => {
      const rows: [string, TenantStatus, number][] = [
        ['p-old', 'provisioning', T0 - 60_000],
        ['p-edge', 'provisioning', T0],
        ['p-new', 'provisioning', T0 + 1],
        ['d-old', 'deleting', T0 - 60_000],
        ['a-old', 'active', T0 - 60_000],
        ['s-old', 'suspended', T0 - 60_000],
      ];
      const inserted = new Map<string, Tenant>();
      for (const [id, status, updatedAt] of rows) {
        inserted.set(id, tenant(id, { status, updatedAt }));
        await repository.insert(inserted.get(id)!);
      }

      const ids = async (status: TenantStatus, before: number) =>
        (await repository.findByStatus(status, before)).map((t) => t.id).sort();

      expect(await ids('provisioning', T0)).toEqual(['p-edge', 'p-old']);
      expect(await ids('provisioning', T0 + 1)).toEqual(['p-edge', 'p-new', 'p-old']);
      expect(await ids('provisioning', T0 - 60_001)).toEqual([]);
      expect(await ids('deleting', T0)).toEqual(['d-old']);
      expect(await ids('active', T0)).toEqual(['a-old']);
      expect(await ids('suspended', T0)).toEqual(['s-old']);
      expect(await repository.findByStatus('deleting', T0)).toStrictEqual([inserted.get('d-old')]);
    });
  });

  describeIfAvailable(target)('TenantRegistry and RevocationList (one replica)', () => {
    let database: SqlDatabase;
    let repository: TenantRegistryRepository;
    const started: { onApplicationShutdown(): Promise<void> }[] = [];

    async function startRegistry(cacheTtlMs: number): Promise<TenantRegistry> {
      const registry = new TenantRegistry(repository, database, options(cacheTtlMs));
      await registry.onModuleInit();
      started.push(registry);
      return registry;
    }

    async function startRevocations(cacheTtlMs: number): Promise<RevocationList> {
      const list = new RevocationList(repository, database, options(cacheTtlMs));
      await list.onModuleInit();
      started.push(list);
      return list;
    }

    withStore(
      target,
      async (store) => {
        ({ database, repository } = await openRegistry(store));
      },
      {
        close: async () => void (await Promise.all(started.map((s) => s.onApplicationShutdown()))),
      },
    );

    afterEach(() => {
      jest.restoreAllMocks();
    });

    it('serves a tenant from the cache until changed() invalidates it', async () => {
      const registry = await startRegistry(60_000);
      const cached = tenant('cached');
      await repository.insert(cached);
      const findById = jest.spyOn(repository, 'findById');

      expect(await registry.get('cached')).toStrictEqual(cached);
      // Changed behind the cache's back: still the cached copy, without a query.
      await repository.update(cached.uid, ANY_STATUS, { status: 'suspended' }, T0 + 1);
      expect(await registry.get('cached')).toStrictEqual(cached);
      expect(await registry.get('cached')).toStrictEqual(cached);
      expect(findById).toHaveBeenCalledTimes(1);

      await registry.changed('cached');
      expect(await registry.get('cached')).toStrictEqual({
        ...cached,
        status: 'suspended',
        updatedAt: T0 + 1,
      });
      expect(findById).toHaveBeenCalledTimes(2);
    });

    it('caches absence too, until changed()', async () => {
      const registry = await startRegistry(60_000);
      expect(await registry.get('later')).toBeUndefined();
      const later = tenant('later');
      await repository.insert(later);
      expect(await registry.get('later')).toBeUndefined();
      await registry.changed('later');
      expect(await registry.get('later')).toStrictEqual(later);
    });

    it('forgets a deleted tenant after changed()', async () => {
      const registry = await startRegistry(60_000);
      const gone = tenant('gone');
      await repository.insert(gone);
      expect(await registry.get('gone')).toStrictEqual(gone);
      await repository.tombstone(gone, T0 + 1, 'platform-admin');
      await registry.changed('gone');
      expect(await registry.get('gone')).toBeUndefined();
    });

    it('reloads an entry older than cacheTtlMs even without changed()', async () => {
      const registry = await startRegistry(100);
      const aging = tenant('aging');
      await repository.insert(aging);
      expect((await registry.get('aging'))?.tier).toBe('standard');
      await repository.update(aging.uid, ANY_STATUS, { tier: 'gold' }, T0 + 1);
      expect((await registry.get('aging'))?.tier).toBe('standard');
      await sleep(150);
      expect((await registry.get('aging'))?.tier).toBe('gold');
    });

    it('shares one query between concurrent misses', async () => {
      const registry = await startRegistry(60_000);
      const popular = tenant('popular');
      await repository.insert(popular);
      const findById = jest.spyOn(repository, 'findById');
      const results = await Promise.all(Array.from({ length: 8 }, () => registry.get('popular')));
      for (const r of results) expect(r).toStrictEqual(popular);
      expect(findById).toHaveBeenCalledTimes(1);
    });

    it('reports its staleness bound: 0 on SQLite (one process), cacheTtlMs on PostgreSQL', async () => {
      const registry = await startRegistry(12_345);
      expect(registry.stalenessBoundMs).toBe(target.name === 'postgres' ? 12_345 : 0);
    });

    it('loads unexpired revocations at start and applies add() at once', async () => {
      const owner = tenant('rl-owner');
      await repository.insert(owner);
      const revokedBefore = token(owner);
      const expiredBefore = token(owner, { issuedAt: NOW_S - 7200, expiresAt: NOW_S - 3600 });
      const later = token(owner);
      for (const t of [revokedBefore, expiredBefore, later]) await repository.tokens.insert(t);
      await repository.tokens.revoke(revokedBefore, NOW_S);
      await repository.tokens.revoke(expiredBefore, NOW_S - 3000);

      const list = await startRevocations(60_000);
      expect(list.isRevoked(revokedBefore.jti)).toBe(true);
      expect(list.isRevoked(expiredBefore.jti)).toBe(false);
      expect(list.isRevoked(later.jti)).toBe(false);

      await repository.tokens.revoke(later, NOW_S);
      await list.add([later.jti]);
      expect(list.isRevoked(later.jti)).toBe(true);
    });

    it('picks up revocations made behind its back at the periodic reload', async () => {
      const owner = tenant('rl-periodic');
      await repository.insert(owner);
      const quiet = token(owner);
      await repository.tokens.insert(quiet);
      const list = await startRevocations(100);
      expect(list.isRevoked(quiet.jti)).toBe(false);
      await repository.tokens.revoke(quiet, NOW_S);
      expect(await pollUntil(() => list.isRevoked(quiet.jti), 1_000)).toBeDefined();
    });
  });

  // LISTEN/NOTIFY between replicas: PostgreSQL only (SQLite is one process by design).
  if (target.name !== 'postgres') return;
  describeIfAvailable(target)('two replicas on one database (LISTEN/NOTIFY)', () => {
    let repoA: TenantRegistryRepository;
    let repoB: TenantRegistryRepository;
    let registryA: TenantRegistry;
    let registryB: TenantRegistry;
    let revocationsA: RevocationList;
    let revocationsB: RevocationList;

    withTwoReplicas(target, (a, b) => {
      [repoA, repoB] = [a.repository, b.repository];
      const opts = options(REPLICA_CACHE_TTL_MS);
      registryA = new TenantRegistry(repoA, a.database, opts);
      registryB = new TenantRegistry(repoB, b.database, opts);
      revocationsA = new RevocationList(repoA, a.database, opts);
      revocationsB = new RevocationList(repoB, b.database, opts);
      return [registryA, registryB, revocationsA, revocationsB];
    });

    it('a tenant change on A reaches B well within cacheTtlMs', async () => {
      const shared = tenant('shared');
      expect(await repoA.insert(shared)).toBe(true);
      expect(await registryA.get('shared')).toStrictEqual(shared);
      expect(await registryB.get('shared')).toStrictEqual(shared);

      // Control: without a notification B keeps serving its cached copy.
      await repoA.update(shared.uid, ANY_STATUS, { tier: 'unannounced' }, T0 + 1);
      await sleep(300);
      expect((await registryB.get('shared'))?.tier).toBe('standard');

      const samples: number[] = [];
      const statuses: TenantStatus[] = ['suspended', 'active', 'suspended', 'active', 'suspended'];
      for (const [round, status] of statuses.entries()) {
        await repoA.update(shared.uid, ANY_STATUS, { status }, T0 + 10 + round);
        await registryA.changed('shared');
        const notified = performance.now();
        expect((await registryA.get('shared'))?.status).toBe(status);
        const elapsed = await pollUntil(
          async () => (await registryB.get('shared'))?.status === status,
        );
        expect(elapsed).toBeDefined();
        samples.push(elapsed === undefined ? NaN : performance.now() - notified);
      }
      expect((await registryB.get('shared'))?.tier).toBe('unannounced');
      console.log(summary(`tenant change A -> B on PostgreSQL`, samples));
      expect(Math.max(...samples)).toBeLessThan(PROPAGATION_LIMIT_MS);
    });

    it('a tenant deletion on A reaches B well within cacheTtlMs', async () => {
      const doomed = tenant('shared-doomed');
      await repoA.insert(doomed);
      expect(await registryB.get('shared-doomed')).toStrictEqual(doomed);

      await repoA.tombstone(doomed, T0 + 1, 'platform-admin');
      await registryA.changed('shared-doomed');
      const elapsed = await pollUntil(
        async () => (await registryB.get('shared-doomed')) === undefined,
      );
      expect(elapsed).toBeDefined();
      console.log(`tenant deletion A -> B on PostgreSQL: ${elapsed?.toFixed(1)} ms`);
    });

    it('a tenant created on A after B cached its absence reaches B', async () => {
      expect(await registryB.get('newcomer')).toBeUndefined();
      const newcomer = tenant('newcomer');
      await repoA.insert(newcomer);
      await registryA.changed('newcomer');
      const elapsed = await pollUntil(async () => (await registryB.get('newcomer')) !== undefined);
      expect(elapsed).toBeDefined();
      expect(await registryB.get('newcomer')).toStrictEqual(newcomer);
    });

    it('a revocation on A reaches B.isRevoked well within cacheTtlMs', async () => {
      const owner = tenant('shared-tokens');
      await repoA.insert(owner);
      const samples: number[] = [];
      for (let round = 0; round < 5; round++) {
        const minted = token(owner);
        await repoA.tokens.insert(minted);
        expect(revocationsB.isRevoked(minted.jti)).toBe(false);

        await repoA.tokens.revoke(minted, NOW_S);
        await revocationsA.add([minted.jti]);
        const notified = performance.now();
        expect(revocationsA.isRevoked(minted.jti)).toBe(true);
        const elapsed = await pollUntil(() => revocationsB.isRevoked(minted.jti));
        expect(elapsed).toBeDefined();
        samples.push(elapsed === undefined ? NaN : performance.now() - notified);
      }
      console.log(summary('revocation A -> B on PostgreSQL', samples));
      expect(Math.max(...samples)).toBeLessThan(PROPAGATION_LIMIT_MS);
      // B's own store agrees, so a restart of B keeps the revocations.
      expect((await repoB.tokens.revokedJtis(NOW_S)).length).toBe(5);
    });
  });
});
