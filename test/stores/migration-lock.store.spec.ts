import { setTimeout as sleep } from 'node:timers/promises';
import { SqlDatabase } from '@vecgate/core';
import { InProcessOnly, MigrationGate, SHARED_HOLD_JOIN_MS } from '@vecgate/isolation';
import { MIGRATION_LOCK_CLASS, PgMigrationLock } from '@vecgate/tenancy/registry/pg-migration-lock';
import { sql } from 'kysely';
import { describeIfAvailable, SqlTarget, sqlTargets, withStore } from './sql-targets';
import { newUid } from './tenancy-fixtures';

/**
 * The migration gate of two replicas sharing one registry: on PostgreSQL their copy pages and
 * writes exclude each other through advisory locks; on SQLite (one process) the gate stays
 * in-process.
 */

function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

/** Advisory locks of the migration class on the database: granted and waiting. */
async function advisoryLocks(db: SqlDatabase): Promise<{ granted: number; waiting: number }> {
  const { rows } = await sql<{ granted: boolean; n: number }>`
    select granted, count(*)::int as n from pg_locks
    where locktype = 'advisory' and classid = ${MIGRATION_LOCK_CLASS}::oid
    group by granted`.execute(db.kysely<object>());
  const of = (g: boolean): number => rows.find((r) => r.granted === g)?.n ?? 0;
  return { granted: of(true), waiting: of(false) };
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(20);
  }
}

const postgres = sqlTargets().filter((t) => t.name === 'postgres');

describe.each(postgres)('the migration lock of two replicas on $name', (target: SqlTarget) => {
  describeIfAvailable(target)('PgMigrationLock', () => {
    let a: MigrationGate;
    let b: MigrationGate;
    let observer: SqlDatabase;
    const locks: PgMigrationLock[] = [];

    withStore(
      target,
      (store) => {
        const replica = (): MigrationGate => {
          const pool = store.open().sessionPool(2);
          if (!pool) throw new Error('no session pool on PostgreSQL');
          const lock = new PgMigrationLock(pool);
          locks.push(lock);
          return new MigrationGate(lock);
        };
        [a, b] = [replica(), replica()];
        observer = store.open();
        return Promise.resolve();
      },
      { close: async () => void (await Promise.all(locks.map((l) => l.onApplicationShutdown()))) },
    );

    it('runs both replicas’ writes of a tenant side by side', async () => {
      const uid = newUid();
      const both = deferred();
      let running = 0;
      const write = (gate: MigrationGate) =>
        gate.write(uid, async () => {
          running++;
          await both.promise;
        });
      const writes = [write(a), write(b)];
      await until(() => Promise.resolve(running === 2));
      expect(await advisoryLocks(observer)).toEqual({ granted: 2, waiting: 0 });
      both.release();
      await Promise.all(writes);
    });

    it('starts a copy page on one replica only once the other replica’s writes have finished, and holds its later writes', async () => {
      const uid = newUid();
      const order: string[] = [];
      const firstWrite = deferred();
      const w1 = b.write(uid, async () => {
        await firstWrite.promise;
        order.push('b-write-1');
      });
      await until(async () => (await advisoryLocks(observer)).granted === 1);
      const page = a.exclusive(uid, () => Promise.resolve(void order.push('a-page')));
      await until(async () => (await advisoryLocks(observer)).waiting === 1);
      // Past the join window, a new write of replica B queues behind replica A's page.
      await sleep(SHARED_HOLD_JOIN_MS + 50);
      const w2 = b.write(uid, () => Promise.resolve(void order.push('b-write-2')));
      await sleep(100);
      expect(order).toEqual([]);
      firstWrite.release();
      await Promise.all([w1, page, w2]);
      expect(order).toEqual(['b-write-1', 'a-page', 'b-write-2']);
      // A shared hold is given back just after its last write answers.
      await until(async () => (await advisoryLocks(observer)).granted === 0);
      expect(await advisoryLocks(observer)).toEqual({ granted: 0, waiting: 0 });
    });

    it('holds one lock per replica and tenant for many writes in flight', async () => {
      const uid = newUid();
      const gate = deferred();
      let running = 0;
      const writes = Array.from({ length: 20 }, () =>
        a.write(uid, async () => {
          running++;
          await gate.promise;
        }),
      );
      await until(() => Promise.resolve(running === 20));
      expect(await advisoryLocks(observer)).toEqual({ granted: 1, waiting: 0 });
      gate.release();
      await Promise.all(writes);
      await until(async () => (await advisoryLocks(observer)).granted === 0);
    });

    it('lets go of a replica’s locks when its lock connection is terminated, and the replica carries on', async () => {
      const uid = newUid();
      const held = deferred();
      const write = b.write(uid, () => held.promise);
      await until(async () => (await advisoryLocks(observer)).granted === 1);
      const { rows } = await sql<{ pid: number }>`
        select pid from pg_locks
        where locktype = 'advisory' and classid = ${MIGRATION_LOCK_CLASS}::oid and granted`.execute(
        observer.kysely<object>(),
      );
      await sql`select pg_terminate_backend(${rows[0]?.pid ?? -1})`.execute(
        observer.kysely<object>(),
      );
      // The session ended with its lock: the other replica's page runs while the write is held.
      await expect(a.exclusive(uid, () => Promise.resolve('copied'))).resolves.toBe('copied');
      held.release();
      await write;
      await expect(b.write(uid, () => Promise.resolve('written'))).resolves.toBe('written');
    });

    it('keeps two tenants apart: one’s copy page never waits for the other’s writes', async () => {
      const [busy, quiet] = [newUid(), newUid()];
      const hold = deferred();
      const write = b.write(busy, () => hold.promise);
      await until(async () => (await advisoryLocks(observer)).granted === 1);
      await expect(a.exclusive(quiet, () => Promise.resolve('copied'))).resolves.toBe('copied');
      hold.release();
      await write;
    });
  });
});

describe.each(sqlTargets().filter((t) => t.name === 'sqlite'))(
  'the migration lock on $name',
  (target: SqlTarget) => {
    let database: SqlDatabase;
    withStore(target, (store) => {
      database = store.open();
      return Promise.resolve();
    });

    it('has no session pool: one process, the in-process gate alone', async () => {
      expect(database.sessionPool(2)).toBeUndefined();
      const release = await new InProcessOnly().hold();
      await expect(release()).resolves.toBeUndefined();
    });
  },
);
