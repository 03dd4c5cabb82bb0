import { Client } from 'pg';
import { FilterNode } from '@vecgate/isolation';
import { ListRow, listStatement, pageOf } from '@vecgate/isolation/backends/pgvector/pgvector.list';
import { recordColumns } from '@vecgate/isolation/backends/pgvector/pgvector.schema';
import { createTempDatabase, TempDatabase } from '../support/postgres';
import { sqlTargets } from './sql-targets';

/**
 * The pgvector listing statement on a real PostgreSQL server (15 here, without pgvector: the
 * vector is held as `real[]`, which listing never reads unless values are asked for), under the
 * byte-order collation of this server and under an ICU collation that sorts punctuation apart
 * from bytes: a walk visits every record of its scope once either way.
 */

const postgres = sqlTargets().find((t) => t.name === 'postgres')!;
const [A, B] = ['a'.repeat(32), 'b'.repeat(32)];
const IDS = ['p/a', 'pa', 'p-b', 'P', 'pb', 'p', '50%_off', '50%x', '50_x', '50ab', 'a\\b', 'a\\c'];
const NONE = { includeValues: false, includeMetadata: false } as const;
let db: TempDatabase;
let client: Client;

async function walk(
  table: string,
  page: { limit: number; prefix?: string; filter?: FilterNode },
  tenant = A,
): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  do {
    const opened = { after, limit: page.limit, prefix: page.prefix ?? '' };
    const statement = listStatement(table, [tenant, ''], opened, { ...page, ...NONE });
    const rows = (await client.query<ListRow>(statement.sql, statement.params)).rows;
    for (const row of rows) expect(row.tenant).toBe(tenant);
    const { records, last } = pageOf(rows, statement, opened, { ...page, ...NONE });
    pages.push(records.map((r) => r.id));
    after = last;
  } while (after !== undefined && pages.length < 100);
  return pages;
}

(postgres.skipReason ? describe.skip : describe)('pgvector listing on PostgreSQL', () => {
  beforeAll(async () => {
    db = await createTempDatabase('vg_test_list');
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`CREATE TABLE bytes (${recordColumns('real[]')})`);
    const icu = recordColumns('real[]').replace('id text', 'id text COLLATE "en-US-x-icu"');
    await client.query(`CREATE TABLE icu (${icu})`);
    for (const table of ['bytes', 'icu']) {
      for (const [tenant, namespace, ids] of [
        [A, '', IDS],
        [A, 'docs', ['p/z', 'pz']],
        [B, '', ['p/y', 'py', '50_y']],
      ] as const) {
        for (const [i, id] of ids.entries()) {
          await client.query(`INSERT INTO ${table} VALUES ($1, $2, $3, '{1,2}', $4)`, [
            tenant,
            namespace,
            id,
            { i, even: i % 2 === 0 },
          ]);
        }
      }
    }
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('walks in byte order under a C collation, LIKE wildcards and the escape taken literally', async () => {
    const byBytes = [...IDS].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect((await walk('bytes', { limit: 5 })).flat()).toEqual(byBytes);
    expect((await walk('bytes', { limit: 1, prefix: '50_' })).flat()).toEqual(['50_x']);
    expect((await walk('bytes', { limit: 1, prefix: '50%' })).flat()).toEqual(['50%_off', '50%x']);
    expect((await walk('bytes', { limit: 1, prefix: 'a\\' })).flat()).toEqual(['a\\b', 'a\\c']);
    expect((await walk('bytes', { limit: 2, prefix: 'p' })).flat()).toEqual([
      'p',
      'p-b',
      'p/a',
      'pa',
      'pb',
    ]);
  });

  it("visits each record once in the column's own order under an ICU collation, prefix and filter included", async () => {
    const ordered = (
      await client.query<{ id: string }>(
        `SELECT id FROM icu WHERE _vg_tenant = $1 AND namespace = '' ORDER BY id`,
        [A],
      )
    ).rows.map((r) => r.id);
    expect(ordered).not.toEqual([...ordered].sort());
    expect((await walk('icu', { limit: 3 })).flat()).toEqual(ordered);
    const withP = (await walk('icu', { limit: 1, prefix: 'p' })).flat();
    expect([...withP].sort()).toEqual(['p', 'p-b', 'p/a', 'pa', 'pb']);
    const even: FilterNode = { op: '$eq', field: 'even', value: true };
    const evens = (await walk('icu', { limit: 2, filter: even })).flat();
    expect([...evens].sort()).toEqual(IDS.filter((_, i) => i % 2 === 0).sort());
  });

  it("never reaches the other tenant's or namespace's rows", async () => {
    expect((await walk('bytes', { limit: 2 }, B)).flat()).toEqual(['50_y', 'p/y', 'py']);
    const all = (await walk('bytes', { limit: 1000 })).flat();
    for (const foreign of ['p/z', 'pz', 'p/y', 'py', '50_y']) expect(all).not.toContain(foreign);
  });
});
