import { Client } from 'pg';
import { TENANT_FIELD } from '@vecgate/isolation/ports/backend-rules';
import { createTenant } from '../support/fixtures';
import { eventually } from '../support/eventually';
import { connectPglite, LivePglite, PGLITE_DATA_ROLE, startPglite } from '../support/pglite';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/**
 * Moves between the embedded backend and pgvector (PGlite with the real extension, over the
 * wire), in both directions, through the ports only: every record, with its namespace, values
 * and metadata, arrives; the place left holds nothing of the tenant.
 */

jest.setTimeout(180_000);

const DIM = 8;
let pglite: LivePglite;
let gw: TestGateway;
const moved: string[] = [];
let closed = false;

beforeAll(async () => {
  pglite = await startPglite();
  gw = await startGateway({
    env: {
      PGVECTOR_URL: pglite.url,
      PGVECTOR_POOL_SIZE: '1',
      PGVECTOR_DATA_ROLE: PGLITE_DATA_ROLE,
      PLACEMENT_POLICY:
        'standard=embedded:partition_key,premium=embedded:database,pg=pgvector:partition_key,pgown=pgvector:collection',
    },
  });
});

afterAll(async () => {
  if (!closed) await gw?.close(true);
  await pglite?.stop();
});

function values(i: number): number[] {
  return Array.from({ length: DIM }, (_, j) => ((i * 7 + j * 3) % 11) / 11 + 0.05);
}

async function settle(id: string, strategy: string): Promise<Record<string, unknown>> {
  let body: Record<string, unknown> = {};
  await eventually(120_000, async () => {
    const res = await gw.http.get(`/v1/admin/tenants/${id}`).set(bearer(gw.tokens.platform()));
    body = res.body as Record<string, unknown>;
    return body.migration === undefined && body.strategy === strategy;
  });
  return body;
}

/**
 * Rows of the tenant in every vecgate table of PostgreSQL that has a tenant column, and how many
 * such tables there are (PGlite serves one connection: read once the gateway has closed).
 */
async function pgRowsOf(sql: Client, uid: string): Promise<{ rows: number; tables: number }> {
  const tables = await sql.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_name LIKE 'vg_%'`,
  );
  let rows = 0;
  let withUid = 0;
  for (const { name } of tables.rows) {
    const hasUid = await sql.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2`,
      [name, TENANT_FIELD],
    );
    if (hasUid.rowCount === 0) continue;
    withUid++;
    const n = await sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${name}" WHERE "${TENANT_FIELD}" = $1`,
      [uid],
    );
    rows += Number(n.rows[0]?.n ?? 0);
  }
  return { rows, tables: withUid };
}

it.each([
  ['embedded:partition_key', 'standard', 'pgvector:partition_key', 'pg'],
  ['embedded:database', 'premium', 'pgvector:collection', 'pgown'],
])(
  'moves a tenant from %s (tier %s) to %s and back, with every record',
  async (_from, tier, _to, pgTier) => {
    const id = `pair-${tier}`;
    const created = await createTenant(gw.http, gw.tokens, {
      id,
      tier,
      dimension: DIM,
      metric: 'cosine',
    });
    const uid = created.uid as string;
    const token = bearer(gw.tokens.tenant(id, ['reader', 'writer']));
    const expected = new Map<string, number[]>();
    for (const namespace of ['', 'docs']) {
      const vectors = Array.from({ length: 150 }, (_, i) => ({
        id: `${namespace || 'main'}-${i}`,
        values: values(i),
        metadata: { i, tags: ['a', `t${i % 3}`], nested: { deep: namespace } },
      }));
      const res = await gw.http.put('/v1/vectors').set(token).send({ namespace, vectors });
      expect(res.status).toBe(200);
      for (const v of vectors) expected.set(`${namespace}/${v.id}`, v.values);
    }
    const check = async (): Promise<void> => {
      for (const [key, want] of expected) {
        const [namespace, rid] = key.split('/') as [string, string];
        const res = await gw.http.get(`/v1/vectors/${rid}?namespace=${namespace}`).set(token);
        expect(res.status).toBe(200);
        const body = res.body as { values: number[]; metadata: Record<string, unknown> };
        body.values.forEach((v, j) => expect(v).toBeCloseTo(want[j] ?? NaN, 5));
        expect(body.metadata).toMatchObject({ nested: { deep: namespace } });
      }
    };

    const there = await gw.http
      .patch(`/v1/admin/tenants/${id}`)
      .set(bearer(gw.tokens.platform()))
      .send({ tier: pgTier });
    expect(there.status).toBe(202);
    const onPg = await settle(id, pgTier === 'pg' ? 'partition_key' : 'collection');
    expect(onPg).toMatchObject({ backend: 'pgvector', uid });
    await check();
    const stats = await gw.http
      .get('/v1/stats')
      .set(bearer(gw.tokens.tenant(id, ['tenant_admin'])));
    expect(stats.body).toMatchObject({ strategy: onPg.strategy });

    const back = await gw.http
      .patch(`/v1/admin/tenants/${id}`)
      .set(bearer(gw.tokens.platform()))
      .send({ tier });
    expect(back.status).toBe(202);
    const home = await settle(id, tier === 'standard' ? 'partition_key' : 'database');
    expect(home).toMatchObject({ backend: 'embedded', uid });
    await check();
    moved.push(uid);
  },
);

it('leaves no row of a tenant that moved back in PostgreSQL', async () => {
  expect(moved).toHaveLength(2);
  closed = true;
  await gw.close(true);
  const sql = await connectPglite(pglite.url);
  try {
    for (const uid of moved) {
      const left = await pgRowsOf(sql, uid);
      // The shared table the first tenant passed through is still there, without its rows.
      expect(left.tables).toBeGreaterThan(0);
      expect(left.rows).toBe(0);
    }
  } finally {
    await sql.end();
  }
});
