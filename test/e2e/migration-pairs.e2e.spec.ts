import { connectPglite } from '../support/pglite';
import { bearer } from '../support/tokens';
import { PairWorld, PlaceName } from './migration-pairs/pair-world';
import { DIM, SecondBackend } from './migration-pairs/second-backends';

/**
 * Online moves between every kind of placement, through the ports only: the embedded
 * strategies among themselves, to and from pgvector (live, on PGlite) and to and from Milvus,
 * Qdrant and Pinecone (their wire stubs). Each pair moves a tenant with records in several
 * namespaces while it writes and deletes, then reads every record back from the new place,
 * finds nothing of it in the old one, and its neighbour untouched.
 */

jest.setTimeout(180_000);

const PAIRS: readonly (readonly [SecondBackend, PlaceName, PlaceName])[] = [
  ['embedded', 'embedded:database', 'embedded:collection'],
  ['pgvector', 'embedded:partition_key', 'pgvector:collection'],
  ['pgvector', 'pgvector:partition', 'embedded:database'],
  ['pgvector', 'embedded:collection', 'pgvector:partition_key'],
  ['pgvector', 'pgvector:partition_key', 'embedded:partition_key'],
  ['pgvector', 'pgvector:collection', 'pgvector:partition'],
  ['milvus', 'embedded:partition_key', 'milvus:database'],
  ['milvus', 'milvus:collection', 'embedded:database'],
  ['milvus', 'embedded:database', 'milvus:partition'],
  ['milvus', 'milvus:partition_key', 'embedded:collection'],
  ['milvus', 'embedded:collection', 'milvus:collection'],
  ['milvus', 'milvus:database', 'embedded:partition_key'],
  ['milvus', 'embedded:partition_key', 'milvus:partition_key'],
  ['milvus', 'milvus:partition', 'embedded:database'],
  ['qdrant', 'embedded:partition_key', 'qdrant:collection'],
  ['qdrant', 'qdrant:partition', 'embedded:partition_key'],
  ['qdrant', 'embedded:collection', 'qdrant:partition_key'],
  ['qdrant', 'qdrant:partition_key', 'embedded:database'],
  ['qdrant', 'embedded:database', 'qdrant:partition'],
  ['qdrant', 'qdrant:collection', 'embedded:collection'],
  ['pinecone', 'embedded:partition_key', 'pinecone:namespace'],
  ['pinecone', 'pinecone:dedicated_index', 'embedded:partition_key'],
  ['pinecone', 'embedded:database', 'pinecone:dedicated_index'],
  ['pinecone', 'pinecone:namespace', 'embedded:collection'],
];

const NAMESPACES = ['', 'docs', 'notes'] as const;
const PER_NAMESPACE = 12;
/** The default namespace takes more than one page of the copy (100 records). */
const IN_DEFAULT = 130;
const TOLERANCE = 1e-5;

interface Seeded {
  readonly id: string;
  readonly namespace: string;
  readonly values: number[];
  readonly metadata: Record<string, unknown>;
}

function valuesOf(seed: number): number[] {
  return Array.from({ length: DIM }, (_, j) => ((seed * 31 + j * 7) % 97) / 97 - 0.37);
}

/** Records in every namespace, with nested and dotted metadata keys carrying the marker. */
function seed(marker: string): Seeded[] {
  return NAMESPACES.flatMap((namespace, n) =>
    Array.from({ length: namespace === '' ? IN_DEFAULT : PER_NAMESPACE }, (_, i) => ({
      id: `${marker}-${n}-${i}`,
      namespace,
      values: valuesOf(n * 100 + i),
      metadata: {
        text: `${marker} text ${i}`,
        'dotted.key': i,
        nested: { colour: i % 2 === 0 ? 'red' : 'blue', depth: n },
        flag: i % 3 === 0,
        tags: ['a', `t${i}`],
      },
    })),
  );
}

const worlds = new Map<SecondBackend, Promise<PairWorld>>();

function worldOf(backend: SecondBackend): Promise<PairWorld> {
  let world = worlds.get(backend);
  if (!world) {
    // Slow enough that a write and a delete land while the copy runs.
    world = PairWorld.start(backend, { MIGRATION_RECORDS_PER_SECOND: '60' });
    worlds.set(backend, world);
  }
  return world;
}

afterAll(async () => {
  for (const world of worlds.values()) await (await world).close();
});

async function write(world: PairWorld, tenant: string, records: readonly Seeded[]) {
  for (const namespace of NAMESPACES) {
    const vectors = records
      .filter((r) => r.namespace === namespace)
      .map(({ id, values, metadata }) => ({ id, values, metadata }));
    if (vectors.length === 0) continue;
    const res = await world.gw.http
      .put('/v1/vectors')
      .set(bearer(world.token(tenant)))
      .send({ namespace, vectors });
    expect([res.status, res.body]).toEqual([200, expect.anything()]);
  }
}

/** Every expected record as the tenant reads it now; the differences, empty when all hold. */
async function differences(world: PairWorld, tenant: string, expected: readonly Seeded[]) {
  const wrong: string[] = [];
  for (const r of expected) {
    const res = await world.gw.http
      .get(`/v1/vectors/${encodeURIComponent(r.id)}`)
      .query({ namespace: r.namespace })
      .set(bearer(world.token(tenant)));
    const body = res.body as { id?: string; values?: number[]; metadata?: unknown };
    const close =
      body.values?.length === DIM &&
      body.values.every((v, i) => Math.abs(v - (r.values[i] ?? NaN)) < TOLERANCE);
    if (res.status !== 200 || body.id !== r.id || !close)
      wrong.push(`${r.namespace}/${r.id}: ${res.status} ${JSON.stringify(body)}`);
    else if (JSON.stringify(sorted(body.metadata)) !== JSON.stringify(sorted(r.metadata)))
      wrong.push(`${r.namespace}/${r.id}: metadata ${JSON.stringify(body.metadata)}`);
  }
  return wrong;
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
  );
}

async function namespaceCounts(world: PairWorld, tenant: string): Promise<Record<string, number>> {
  const res = await world.gw.http.get('/v1/namespaces').set(bearer(world.token(tenant)));
  expect(res.status).toBe(200);
  const items = (res.body as { items?: { name: string; vectors: number }[] }).items ?? [];
  return Object.fromEntries(items.map((i) => [i.name, i.vectors]));
}

/** The pair's tenants and markers, by its position in the table. */
function pairNames(index: number) {
  const n = String(index + 1).padStart(2, '0');
  return { mover: `mv-${n}`, neighbour: `nb-${n}`, marker: `MOVE${n}Q`, nbrMarker: `NBR${n}Q` };
}

/** Rows of every vecgate table in PostgreSQL whose text holds `text`. */
async function pgRowsHolding(url: string, text: string): Promise<number> {
  const client = await connectPglite(url);
  try {
    const tables = await client.query<{ name: string }>(
      `SELECT relname::text AS name FROM pg_class WHERE relkind = 'r' AND relname LIKE 'vg\\_%'`,
    );
    let rows = 0;
    for (const { name } of tables.rows) {
      const found = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${name}" t WHERE t::text LIKE $1`,
        [`%${text}%`],
      );
      rows += Number(found.rows[0]?.n ?? 0);
    }
    return rows;
  } finally {
    await client.end();
  }
}

// The pairs run side by side (up to Jest's maxConcurrency): each waits mostly on its paced
// copy, and each has its own tenants and markers.
it.concurrent.each(PAIRS)(
  'with %s beside the embedded backend, a move from %s to %s copies every record, keeps the writes made meanwhile, erases the old place and spares the neighbour',
  async (backend, from, to) => {
    const index = PAIRS.findIndex(([b, f, t]) => b === backend && f === from && t === to);
    const { mover, neighbour, marker, nbrMarker } = pairNames(index);
    const [fromBackend = '', fromStrategy = ''] = from.split(':');
    const [toBackend = '', toStrategy = ''] = to.split(':');
    const world = await worldOf(backend);
    const created = await world.create(mover, from);
    await world.create(neighbour, from);
    const records = seed(marker);
    const nbrRecords = seed(nbrMarker);
    await write(world, mover, records);
    await write(world, neighbour, nbrRecords);
    expect(world.holds(fromBackend, marker)).not.toBe(false);

    const patch = await world.gw.http
      .patch(`/v1/admin/tenants/${mover}`)
      .set(bearer(world.gw.tokens.platform()))
      .send({ backend: toBackend, strategy: toStrategy });
    expect([patch.status, patch.body]).toEqual([
      202,
      expect.objectContaining({
        migration: expect.objectContaining({
          from: expect.objectContaining({ backend: fromBackend, strategy: fromStrategy }),
          to: expect.objectContaining({ backend: toBackend, strategy: toStrategy }),
        }),
      }),
    ]);

    // A write (a new record and an overwrite) and a delete acknowledged while the copy runs.
    await world.waitFor(mover, 'copying');
    const added: Seeded = {
      id: `${marker}-late`,
      namespace: 'docs',
      values: valuesOf(999),
      metadata: { text: `${marker} late`, 'dotted.key': 99 },
    };
    const overwritten: Seeded = { ...(records[1] as Seeded), values: valuesOf(777) };
    const deleted = records[records.length - 1] as Seeded;
    await write(world, mover, [added, overwritten]);
    const del = await world.gw.http
      .post('/v1/vectors/delete')
      .set(bearer(world.token(mover)))
      .send({ namespace: deleted.namespace, ids: [deleted.id] });
    expect(del.status).toBe(200);
    expect((await world.tenant(mover)).migration?.state).toBe('copying');

    const after = await world.settled(mover);
    expect(after.migration).toBeUndefined();
    expect(after).toMatchObject({ uid: created.uid, backend: toBackend, strategy: toStrategy });

    const expected = records
      .filter((r) => r.id !== deleted.id && r.id !== overwritten.id)
      .concat([added, overwritten]);
    expect(await differences(world, mover, expected)).toEqual([]);
    const gone = await world.gw.http
      .get(`/v1/vectors/${deleted.id}`)
      .query({ namespace: deleted.namespace })
      .set(bearer(world.token(mover)));
    expect(gone.status).toBe(404);
    expect(await namespaceCounts(world, mover)).toMatchObject({
      docs: PER_NAMESPACE + 1,
      notes: PER_NAMESPACE - 1,
    });

    // The new place's filters reach dotted and nested keys.
    const search = await world.gw.http
      .post('/v1/search')
      .set(bearer(world.token(mover)))
      .send({
        namespace: 'docs',
        vector: valuesOf(103),
        topK: 50,
        filter: { 'dotted.key': { $gte: 3 }, 'nested.colour': { $eq: 'red' } },
      });
    expect(search.status).toBe(200);
    const ids = (search.body as { matches: { id: string }[] }).matches.map((m) => m.id).sort();
    expect(ids).toEqual(
      records
        .filter((r) => r.namespace === 'docs')
        .filter((r) => (r.metadata['dotted.key'] as number) >= 3)
        .filter((r) => (r.metadata.nested as { colour: string }).colour === 'red')
        .map((r) => r.id)
        .sort(),
    );

    // The neighbour, in the same old place, keeps every record and sees none of the mover's.
    expect(await differences(world, neighbour, nbrRecords)).toEqual([]);
    const nbrSearch = await world.gw.http
      .post('/v1/search')
      .set(bearer(world.token(neighbour)))
      .send({ vector: valuesOf(1), topK: 100 });
    const nbrIds = (nbrSearch.body as { matches: { id: string }[] }).matches.map((m) => m.id);
    expect(nbrIds.filter((id) => id.startsWith(marker))).toEqual([]);

    // The old place holds nothing of the mover, verified by its erasure and in its storage.
    const reports = await world.retired(created.uid);
    expect(reports.map((r) => r.backend)).toEqual([fromBackend]);
    const places = reports.flatMap((r) => r.report.places);
    expect(places.length).toBeGreaterThan(0);
    expect(places.filter((p) => p.remaining !== 0)).toEqual([]);
    // A backend's storage is searched when the new place is elsewhere and it can be read here.
    const oldHolds = fromBackend === toBackend ? undefined : world.holds(fromBackend, marker);
    if (oldHolds !== undefined) {
      expect(oldHolds).toBe(false);
      expect(world.holds(fromBackend, nbrMarker)).toBe(true);
    }
  },
);

describe('PostgreSQL after the moves away from pgvector', () => {
  it('holds no row of a tenant that left it, and every row of the neighbours that stayed', async () => {
    const world = await worldOf('pgvector');
    // PGlite serves one connection, the gateway's: stop the gateway to read the tables.
    await world.closeGateway();
    const url = world.second.env.PGVECTOR_URL as string;
    const left = PAIRS.map((pair, i) => ({ pair, ...pairNames(i) })).filter(
      ({ pair: [, from, to] }) => from.startsWith('pgvector:') && !to.startsWith('pgvector:'),
    );
    expect(left.length).toBeGreaterThan(0);
    for (const { marker, nbrMarker } of left) {
      expect([marker, await pgRowsHolding(url, marker)]).toEqual([marker, 0]);
      expect(await pgRowsHolding(url, nbrMarker)).toBe(seed(nbrMarker).length);
    }
  });
});
