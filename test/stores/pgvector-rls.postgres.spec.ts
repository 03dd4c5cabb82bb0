import { Client } from 'pg';
import { recordColumns, wall } from '@vecgate/isolation/backends/pgvector/pgvector.schema';
import { createRoleDatabase, RoleDatabase, withClient } from '../support/postgres';
import { probeWall } from '../support/rls-wall';
import { sqlTargets } from './sql-targets';

/**
 * The row-level security wall of the pgvector backend on a real PostgreSQL server (15 here),
 * with the data plane logged in as its own role: a login that owns no table and has no
 * BYPASSRLS, the setup docs/backends/pgvector.md asks operators for. RLS needs no pgvector,
 * so the tables have the backend's columns and exactly its policy statements, with the
 * vector held as `real[]`.
 */

const postgres = sqlTargets().find((t) => t.name === 'postgres')!;
const OWN = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const COLUMNS = recordColumns('real[]');

(postgres.skipReason ? describe.skip : describe)(
  'the row-level security wall on PostgreSQL, with a non-owner login role',
  () => {
    let db: RoleDatabase;
    let data: Client;

    beforeAll(async () => {
      db = await createRoleDatabase('vg_test_rls');
      const { owner, data: dataLogin } = db;
      await withClient(db.url(), async (admin) => {
        await admin.query(`SET ROLE ${owner}`);
        const statements = [
          `CREATE TABLE vg_shared_4_cosine (${COLUMNS})`,
          ...wall('vg_shared_4_cosine', dataLogin),
          `CREATE TABLE vg_part_4_cosine (${COLUMNS}) PARTITION BY LIST (_vg_tenant)`,
          ...wall('vg_part_4_cosine', dataLogin),
          `CREATE TABLE vg_p_${OWN} PARTITION OF vg_part_4_cosine FOR VALUES IN ('${OWN}')`,
          ...wall(`vg_p_${OWN}`, dataLogin),
          `CREATE TABLE vg_p_${OTHER} PARTITION OF vg_part_4_cosine FOR VALUES IN ('${OTHER}')`,
          ...wall(`vg_p_${OTHER}`, dataLogin),
        ];
        for (const statement of statements) await admin.query(statement);
        await admin.query('RESET ROLE');
        // Rows written by the superuser, whom RLS does not hold: both tenants, equal ids.
        for (const table of ['vg_shared_4_cosine', 'vg_part_4_cosine']) {
          await admin.query(
            `INSERT INTO ${table} (_vg_tenant, id, embedding, metadata)
             VALUES ($1, 'same', '{1,2,3,4}', '{}'), ($2, 'same', '{4,3,2,1}', '{}')`,
            [OWN, OTHER],
          );
        }
      });
      data = new Client({ connectionString: db.url(dataLogin), connectionTimeoutMillis: 5000 });
      await data.connect();
    });

    afterAll(async () => {
      await data?.end();
      await db?.drop();
    });

    it('the data login is itself the non-owner without BYPASSRLS', async () => {
      const { rows } = await data.query<{ user: string; bypass: boolean }>(
        'SELECT current_user AS user, rolbypassrls AS bypass FROM pg_roles WHERE rolname = current_user',
      );
      expect(rows).toEqual([{ user: db.data, bypass: false }]);
    });

    it.each(['vg_shared_4_cosine', 'vg_part_4_cosine'])(
      '%s: an unscoped statement of the data login reaches no row of another tenant',
      async (table) => {
        const findings = await probeWall({
          client: data,
          enter: [],
          table,
          own: OWN,
          other: OTHER,
          vector: '{0,0,0,1}',
        });
        expect(findings).toEqual({
          unscoped: 0,
          seen: [OWN],
          foreignInsert: '42501',
          foreignUpdate: '42501',
          deletedOther: 0,
        });
      },
    );

    it("a tenant's own partition, read directly, shows nothing to another tenant", async () => {
      const findings = await probeWall({
        client: data,
        enter: [],
        table: `vg_p_${OWN}`,
        own: OTHER,
        other: OWN,
        vector: '{0,0,0,1}',
      });
      expect(findings.unscoped).toBe(0);
      expect(findings.seen).toEqual([]);
      expect(findings.foreignInsert).toBe('42501');
    });

    it('FORCE holds the owner too; only a superuser (the control) sees both tenants', async () => {
      await withClient(db.url(), async (admin) => {
        const owner = await probeWall({
          client: admin,
          enter: [`SET LOCAL ROLE ${db.owner}`],
          table: 'vg_shared_4_cosine',
          own: OWN,
          other: OTHER,
          vector: '{0,0,0,1}',
        });
        expect(owner.unscoped).toBe(0);
        expect(owner.seen).toEqual([OWN]);
        expect(owner.foreignInsert).toBe('42501');
        const superuser = await probeWall({
          client: admin,
          enter: [],
          table: 'vg_shared_4_cosine',
          own: OWN,
          other: OTHER,
          vector: '{0,0,0,1}',
        });
        expect(superuser.unscoped).toBe(2);
        expect(superuser.seen.sort()).toEqual([OWN, OTHER]);
      });
    });
  },
);
