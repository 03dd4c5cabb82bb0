import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  makeTenantScope,
  PgvectorBackend,
  PgvectorStrategy,
  TenantScope,
} from '@vecgate/isolation';
import { upgradeLayout } from '../../libs/isolation/src/backends/pgvector/pgvector.layout';
import { previousColumns, primaryKeys } from '../support/pgvector-layout';
import {
  connectPglite,
  LivePglite,
  pgliteOptions,
  pgliteReleased,
  startPglite,
} from '../support/pglite';

/**
 * Tables written by the release before namespaces, opened by this one, live on PGlite. The
 * old tables are made with that release's exact statements (below, frozen), hold rows of two
 * tenants each, and are then used through the backend: every old record is in the default
 * namespace, the key becomes (uid, namespace, id) on every table and partition, and the same
 * id can then live in a second namespace.
 */

jest.setTimeout(120_000);

const ALL = { includeValues: true, includeMetadata: true } as const;
const WALLED = `_vg_tenant = current_setting('vecgate.tenant_uid', true)`;

const OLD_COLUMNS = previousColumns('vector(3)');

/** The previous release's row-level security and grant statements for one table. */
function oldWall(table: string): string[] {
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `DROP POLICY IF EXISTS vg_tenant_wall ON ${table}`,
    `CREATE POLICY vg_tenant_wall ON ${table} USING (${WALLED}) WITH CHECK (${WALLED})`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO "vg_data"`,
  ];
}

/** What the previous release ran to provision a tenant of each strategy. */
function oldProvision(t: OldTenant): string[] {
  const opclass = `vector_${t.metric === 'dot' ? 'ip' : t.metric}_ops`;
  const index = (table: string) =>
    `CREATE INDEX IF NOT EXISTS ${table}_hnsw ON ${table} USING hnsw (embedding ${opclass})`;
  if (t.strategy !== 'partition') {
    return [
      `CREATE TABLE IF NOT EXISTS ${t.table} (${OLD_COLUMNS})`,
      index(t.table),
      ...oldWall(t.table),
    ];
  }
  const parent = `vg_part_3_${t.metric}`;
  return [
    `CREATE TABLE IF NOT EXISTS ${parent} (${OLD_COLUMNS}) PARTITION BY LIST (_vg_tenant)`,
    index(parent),
    ...oldWall(parent),
    `CREATE TABLE IF NOT EXISTS ${t.table} PARTITION OF ${parent} FOR VALUES IN ('${t.uid}')`,
    ...oldWall(t.table),
  ];
}

/** The previous release's upsert of one record. */
async function oldUpsert(client: Client, table: string, uid: string, id: string, v: number[]) {
  await client.query(
    `INSERT INTO ${table} (_vg_tenant, id, embedding, metadata) VALUES ($1, $2, $3::vector, $4::jsonb)
     ON CONFLICT (_vg_tenant, id) DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata`,
    [uid, id, `[${v.join(',')}]`, JSON.stringify({ uid: uid.slice(0, 4), id })],
  );
}

interface OldTenant {
  readonly strategy: PgvectorStrategy;
  readonly uid: string;
  /** Where its rows are (the partition, for the partition strategy). */
  readonly table: string;
  readonly metric: 'cosine' | 'dot';
}

function oldTenant(strategy: PgvectorStrategy, metric: 'cosine' | 'dot' = 'cosine'): OldTenant {
  const uid = randomBytes(16).toString('hex');
  const table =
    strategy === 'collection'
      ? `vg_t_${uid}`
      : strategy === 'partition'
        ? `vg_p_${uid}`
        : `vg_shared_3_${metric}`;
  return { strategy, uid, table, metric };
}

const VALUES: Record<string, number[]> = { r0: [1, 0, 0], r1: [0, 1, 0] };

/** Two tenants per strategy, so that every shared place holds two. */
const OPENED = (['collection', 'partition', 'partition_key'] as const).flatMap((s) => [
  oldTenant(s),
  oldTenant(s),
]);
/** A shared table of the old layout that only a provisioning of a new tenant touches first. */
const PROVISIONED = oldTenant('partition_key', 'dot');
/** A table left between the two steps of an upgrade (column added, key not yet rebuilt). */
const HALF = oldTenant('collection');

let pglite: LivePglite;

function scopeOf(driver: PgvectorBackend, t: OldTenant, namespace?: string): TenantScope {
  const space = { dimension: 3, metric: t.metric } as const;
  const tenantId = `old-${t.uid.slice(0, 8)}`;
  const placement = driver.plan({ tenantId, tenantUid: t.uid, strategy: t.strategy, space });
  return makeTenantScope({ tenantId, tenantUid: t.uid, placement, space, namespace });
}

async function withRaw<T>(body: (client: Client) => Promise<T>): Promise<T> {
  await pgliteReleased(pglite.url);
  const client = await connectPglite(pglite.url);
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

async function withDriver<T>(body: (driver: PgvectorBackend) => Promise<T>): Promise<T> {
  await pgliteReleased(pglite.url);
  const driver = new PgvectorBackend(pgliteOptions(pglite.url));
  try {
    return await body(driver);
  } finally {
    await driver.close();
  }
}

beforeAll(async () => {
  pglite = await startPglite();
  await withRaw(async (client) => {
    for (const t of [...OPENED, PROVISIONED, HALF]) {
      for (const statement of oldProvision(t)) {
        await client.query(statement);
      }
      for (const [id, v] of Object.entries(VALUES)) await oldUpsert(client, t.table, t.uid, id, v);
    }
    await client.query(`ALTER TABLE ${HALF.table} ADD COLUMN namespace text NOT NULL DEFAULT ''`);
  });
});

afterAll(async () => {
  await pglite?.stop();
});

describe('a store written before namespaces, opened by this release', () => {
  it('reads every old record back in the default namespace, of its own tenant only', async () => {
    await withDriver(async (driver) => {
      for (const t of [...OPENED, HALF]) {
        const scope = scopeOf(driver, t);
        expect(await driver.count(scope)).toBe(2);
        const found = await driver.fetch(scope, ['r0', 'r1'], ALL);
        expect(found.map((r) => [r.id, r.tenantUid, r.namespace, Array.from(r.values!)])).toEqual([
          ['r0', t.uid, '', VALUES.r0],
          ['r1', t.uid, '', VALUES.r1],
        ]);
        expect(found[0]!.metadata).toEqual({ uid: t.uid.slice(0, 4), id: 'r0' });
        const hits = await driver.search(scope, {
          vector: Float32Array.of(0, 1, 0),
          topK: 10,
          ...ALL,
        });
        expect(hits.map((h) => [h.id, h.tenantUid, h.namespace])).toEqual([
          ['r1', t.uid, ''],
          ['r0', t.uid, ''],
        ]);
      }
    });
  });

  it('rebuilds the key of every table and partition with the namespace, under its old name', async () => {
    const shapes = await withRaw(primaryKeys);
    const tables = [...OPENED, HALF].map((t) => t.table);
    tables.push('vg_part_3_cosine');
    for (const table of new Set(tables)) {
      const shape = shapes.find((s) => s.table === table);
      expect(shape).toMatchObject({
        key: `${table}_pkey`,
        columns: ['_vg_tenant', 'namespace', 'id'],
      });
    }
    // The shared table only provisioning touches is not upgraded before it is used.
    expect(shapes.find((s) => s.table === PROVISIONED.table)?.columns).toEqual([
      '_vg_tenant',
      'id',
    ]);
  });

  it('then keeps the same id in two namespaces of one tenant apart, and apart from the other tenant', async () => {
    await withDriver(async (driver) => {
      for (const t of OPENED.filter((_, i) => i % 2 === 0)) {
        const docs = scopeOf(driver, t, 'docs');
        await driver.upsert(docs, [{ id: 'r0', values: Float32Array.of(0, 0, 1) }]);
        const [inDocs] = await driver.fetch(docs, ['r0'], ALL);
        expect([inDocs!.namespace, Array.from(inDocs!.values!)]).toEqual(['docs', [0, 0, 1]]);
        const [inDefault] = await driver.fetch(scopeOf(driver, t), ['r0'], ALL);
        expect([inDefault!.namespace, Array.from(inDefault!.values!)]).toEqual(['', VALUES.r0]);
        expect(await driver.count(scopeOf(driver, t))).toBe(2);
        expect(await driver.count(docs)).toBe(1);
      }
      for (const t of OPENED.filter((_, i) => i % 2 === 1)) {
        expect(await driver.count(scopeOf(driver, t, 'docs'))).toBe(0);
        expect(await driver.count(scopeOf(driver, t))).toBe(2);
      }
    });
  });

  it('upgrades an old shared table when a new tenant is provisioned into it', async () => {
    await withDriver(async (driver) => {
      const newcomer = scopeOf(driver, oldTenant('partition_key', 'dot'));
      await driver.provision(newcomer);
      await driver.upsert(newcomer, [{ id: 'r0', values: Float32Array.of(0, 0, 1) }]);
      const old = scopeOf(driver, PROVISIONED);
      const found = await driver.fetch(old, ['r0', 'r1'], ALL);
      expect(found.map((r) => [r.id, r.tenantUid, r.namespace])).toEqual([
        ['r0', PROVISIONED.uid, ''],
        ['r1', PROVISIONED.uid, ''],
      ]);
      expect(await driver.count(newcomer)).toBe(1);
    });
    const shape = (await withRaw(primaryKeys)).find((s) => s.table === PROVISIONED.table);
    expect(shape?.columns).toEqual(['_vg_tenant', 'namespace', 'id']);
  });

  it('is done once: a second opening changes nothing', async () => {
    const before = await withRaw(primaryKeys);
    await withDriver(async (driver) => {
      for (const t of OPENED) expect(await driver.count(scopeOf(driver, t))).toBe(2);
    });
    expect(await withRaw(primaryKeys)).toEqual(before);
  });

  it('an upgrade that does not commit (a crash) leaves the old layout, which the next opening upgrades', async () => {
    const t = oldTenant('collection');
    await withRaw(async (client) => {
      for (const statement of oldProvision(t)) await client.query(statement);
      await oldUpsert(client, t.table, t.uid, 'r0', VALUES.r0!);
      await client.query('BEGIN');
      await upgradeLayout(client, t.table);
      expect((await primaryKeys(client)).find((s) => s.table === t.table)?.columns).toEqual([
        '_vg_tenant',
        'namespace',
        'id',
      ]);
      await client.query('ROLLBACK');
      const shape = (await primaryKeys(client)).find((s) => s.table === t.table);
      expect(shape?.columns).toEqual(['_vg_tenant', 'id']);
    });
    await withDriver(async (driver) => {
      const found = await driver.fetch(scopeOf(driver, t), ['r0'], ALL);
      expect(found.map((r) => [r.id, r.namespace])).toEqual([['r0', '']]);
    });
  });
});
