import { makeTenantScope, PgvectorBackend, PGVECTOR_DEFAULT_LIMITS } from '@vecgate/isolation';
import { PgvectorLayout } from '@vecgate/isolation/backends/pgvector/pgvector.layout';
import { PgvectorLocation } from '@vecgate/isolation/backends/pgvector/pgvector.naming';
import { wall } from '@vecgate/isolation/backends/pgvector/pgvector.schema';
import { PgvectorSession } from '@vecgate/isolation/backends/pgvector/pgvector.session';
import { previousColumns, primaryKeys } from '../support/pgvector-layout';
import { createRoleDatabase, RoleDatabase, withClient } from '../support/postgres';
import { sqlTargets } from './sql-targets';

/**
 * The in-place upgrade of the pgvector layout on a real PostgreSQL server (15 here), as
 * operators run it: tables owned by a login without superuser rights, the data plane on a
 * login of its own, and two gateways opening the same old tables at once. The tables have
 * the previous release's columns and key, with the vector held as `real[]` (the upgrade does
 * not touch it, and this server has no pgvector).
 */

const postgres = sqlTargets().find((t) => t.name === 'postgres')!;
const [A, B] = ['a'.repeat(32), 'b'.repeat(32)];
const OLD_COLUMNS = previousColumns('real[]');
let db: RoleDatabase;

const LOCATIONS: Record<string, PgvectorLocation> = {
  collection: { strategy: 'collection', table: `vg_t_${A}` },
  partition: { strategy: 'partition', table: `vg_p_${A}`, parent: 'vg_part_4_cosine' },
  partition_key: { strategy: 'partition_key', table: 'vg_shared_4_cosine' },
};

function options(timeoutMs = 10_000) {
  const urls = { url: db.url(db.data), adminUrl: db.url(db.owner) };
  return { ...urls, poolSize: 2, timeoutMs, efSearch: 40, limits: PGVECTOR_DEFAULT_LIMITS };
}

function gateway(): PgvectorSession {
  return new PgvectorSession(options());
}

(postgres.skipReason ? describe.skip : describe)(
  'the pgvector layout upgrade on PostgreSQL, owner and data logins',
  () => {
    beforeAll(async () => {
      db = await createRoleDatabase('vg_test_upgrade');
      const dataLogin = db.data;
      await withClient(db.url(db.owner), async (owner) => {
        const part = LOCATIONS.partition!;
        const statements = [
          `CREATE TABLE vg_t_${A} (${OLD_COLUMNS})`,
          ...wall(`vg_t_${A}`, dataLogin),
          `CREATE TABLE vg_shared_4_cosine (${OLD_COLUMNS})`,
          ...wall('vg_shared_4_cosine', dataLogin),
          `CREATE TABLE ${part.parent} (${OLD_COLUMNS}) PARTITION BY LIST (_vg_tenant)`,
          ...wall(part.parent!, dataLogin),
          ...[A, B].flatMap((uid) => [
            `CREATE TABLE vg_p_${uid} PARTITION OF ${part.parent} FOR VALUES IN ('${uid}')`,
            ...wall(`vg_p_${uid}`, dataLogin),
          ]),
        ];
        for (const statement of statements) await owner.query(statement);
        // The owner is held by FORCE too: rows are written as each tenant, as the data plane did.
        for (const table of ['vg_shared_4_cosine', part.parent!, `vg_t_${A}`]) {
          for (const uid of table.startsWith('vg_t_') ? [A] : [A, B]) {
            await owner.query('BEGIN');
            await owner.query(`SELECT set_config('vecgate.tenant_uid', $1, true)`, [uid]);
            await owner.query(
              `INSERT INTO ${table} (_vg_tenant, id, embedding, metadata)
               VALUES ($1, 'same', '{1,2,3,4}', '{}'), ($1, 'other', '{4,3,2,1}', '{}')`,
              [uid],
            );
            await owner.query('COMMIT');
          }
        }
      });
    });

    afterAll(async () => {
      await db?.drop();
    });

    it('two gateways opening the same old tables at once both succeed, and the key has the namespace', async () => {
      const sessions = [gateway(), gateway()];
      try {
        const layouts = sessions.map((session) => new PgvectorLayout(session));
        await Promise.all(
          layouts.flatMap((layout) => Object.values(LOCATIONS).map((at) => layout.ready(at, A))),
        );
      } finally {
        for (const session of sessions) await session.close();
      }
      const keys = await withClient(db.url(), primaryKeys);
      expect(keys.map((k) => k.table).sort()).toEqual(
        [`vg_p_${A}`, `vg_p_${B}`, 'vg_part_4_cosine', 'vg_shared_4_cosine', `vg_t_${A}`].sort(),
      );
      for (const key of keys) {
        expect(key).toMatchObject({
          key: `${key.table}_pkey`,
          columns: ['_vg_tenant', 'namespace', 'id'],
        });
      }
    });

    it("every old row is in the default namespace, and the data login still sees only its tenant's", async () => {
      const session = gateway();
      try {
        for (const at of Object.values(LOCATIONS)) {
          const table = at.parent ?? at.table;
          const rows = await session.asTenant(A, undefined, (client) =>
            client.query<{ t: string; ns: string; id: string }>(
              `SELECT _vg_tenant AS t, namespace AS ns, id FROM ${table} ORDER BY id`,
            ),
          );
          expect(rows.rows).toEqual([
            { t: A, ns: '', id: 'other' },
            { t: A, ns: '', id: 'same' },
          ]);
        }
        // The same id in a second namespace is a second row now.
        await session.asTenant(A, undefined, (client) =>
          client.query(
            `INSERT INTO vg_shared_4_cosine (_vg_tenant, namespace, id, embedding)
             VALUES ($1, 'docs', 'same', '{0,0,0,1}')`,
            [A],
          ),
        );
        const counts = await session.asTenant(A, undefined, (client) =>
          client.query<{ ns: string; n: string }>(
            `SELECT namespace AS ns, count(*) AS n FROM vg_shared_4_cosine
              WHERE _vg_tenant = $1 GROUP BY namespace ORDER BY namespace`,
            [A],
          ),
        );
        expect(counts.rows).toEqual([
          { ns: '', n: '2' },
          { ns: 'docs', n: '1' },
        ]);
      } finally {
        await session.close();
      }
    });

    it('an upgrade waiting behind a long transaction is not cut by the statement timeout; a call past its deadline stops waiting', async () => {
      const uid = 'c'.repeat(32);
      const table = `vg_t_${uid}`;
      await withClient(db.url(db.owner), async (owner) => {
        for (const statement of [
          `CREATE TABLE ${table} (${OLD_COLUMNS})`,
          ...wall(table, db.data),
        ]) {
          await owner.query(statement);
        }
      });
      const space = { dimension: 4, metric: 'cosine' } as const;
      const driver = new PgvectorBackend(options(300));
      const tenant = { tenantId: 'c', tenantUid: uid, space };
      const placement = driver.plan({ ...tenant, strategy: 'collection' });
      const scope = makeTenantScope({ ...tenant, placement });
      const { waiting } = await withClient(db.url(), async (admin) => {
        // A reader holding the table for longer than the statement timeout (300 ms).
        await admin.query('BEGIN');
        await admin.query(`LOCK TABLE ${table} IN ACCESS SHARE MODE`);
        try {
          const late = driver.count(scope, { signal: AbortSignal.timeout(100) });
          await expect(late).rejects.toMatchObject({ status: 504 });
          const waiting = driver.count(scope);
          await new Promise((resolve) => setTimeout(resolve, 700));
          // Still waiting: handed out, and settled once the reader commits.
          return { waiting };
        } finally {
          await admin.query('COMMIT');
        }
      });
      try {
        expect(await waiting).toBe(0);
      } finally {
        await driver.close();
      }
      const key = (await withClient(db.url(), primaryKeys)).find((k) => k.table === table);
      expect(key?.columns).toEqual(['_vg_tenant', 'namespace', 'id']);
    });
  },
);
