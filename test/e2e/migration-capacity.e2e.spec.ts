import { bearer } from '../support/tokens';
import { PairWorld, PlaceName } from './migration-pairs/pair-world';
import { DIM, SecondBackend } from './migration-pairs/second-backends';

/**
 * A move the target cannot take is refused before anything is started, whatever the target
 * backend: a dimension above its limit, a record's metadata above its per-record limit (the
 * backend's own or the target tier's), a strategy limit reached. The answer names the limit;
 * nothing is provisioned there and the tenant stays where it was, serving.
 */

jest.setTimeout(120_000);

interface Refusal {
  readonly name: string;
  /** The target: an explicit placement, or a tier whose rule places it there. */
  readonly move: { backend: string; strategy: string } | { tier: string };
  readonly dimension?: number;
  /** Bytes of one record's metadata (as JSON) in the tenant before the move. */
  readonly metadataBytes?: number;
  /** A tenant created on the target first, to reach a strategy limit. */
  readonly filler?: PlaceName;
  readonly status: number;
  readonly detail: RegExp;
}

interface Target {
  readonly backend: SecondBackend;
  readonly env: Record<string, string>;
  readonly refusals: readonly Refusal[];
}

/** A move by tier to `small`, whose quota allows 1 KB of metadata per record. */
const smallTier = (place: string) => ({
  PLACEMENT_POLICY: `standard=embedded:partition_key,small=${place}`,
  TIER_QUOTAS: 'small:metadata=1KB;default:metadata=200KB',
});
const SMALL_TIER_METADATA: Refusal = {
  name: 'metadata above the target tier’s limit',
  move: { tier: 'small' },
  metadataBytes: 2_000,
  status: 507,
  detail: /carries \d+ bytes of metadata; on \w+ tier "small" allows 1024 bytes per record/,
};

const TARGETS: readonly Target[] = [
  {
    backend: 'pgvector',
    env: { PGVECTOR_MAX_TABLES: '1', ...smallTier('pgvector:partition_key') },
    refusals: [
      {
        name: 'the table limit reached',
        move: { backend: 'pgvector', strategy: 'collection' },
        filler: 'pgvector:collection',
        status: 507,
        detail: /PGVECTOR_MAX_TABLES/,
      },
      {
        name: 'a dimension above what its index takes',
        move: { backend: 'pgvector', strategy: 'partition_key' },
        dimension: 2048,
        status: 422,
        detail: /pgvector indexes at most 2000 dimensions, not 2048/,
      },
      SMALL_TIER_METADATA,
    ],
  },
  {
    backend: 'milvus',
    env: { MILVUS_MAX_DATABASES: '2', TIER_QUOTAS: 'default:metadata=200KB' },
    refusals: [
      {
        name: 'the database limit reached',
        move: { backend: 'milvus', strategy: 'database' },
        filler: 'milvus:database',
        status: 507,
        detail: /database/i,
      },
      {
        name: 'metadata above what Milvus stores per record',
        move: { backend: 'milvus', strategy: 'partition_key' },
        metadataBytes: 100_000,
        status: 507,
        detail: /on milvus the milvus backend allows 65536 bytes per record/,
      },
    ],
  },
  {
    backend: 'qdrant',
    env: { QDRANT_MAX_COLLECTIONS: '1', ...smallTier('qdrant:partition_key') },
    refusals: [
      {
        name: 'the collection limit reached',
        move: { backend: 'qdrant', strategy: 'collection' },
        filler: 'qdrant:collection',
        status: 507,
        detail: /QDRANT_MAX_COLLECTIONS/,
      },
      SMALL_TIER_METADATA,
    ],
  },
  {
    backend: 'pinecone',
    // The shared index and one dedicated index fill the project.
    env: { PINECONE_MAX_DEDICATED_INDEXES: '2' },
    refusals: [
      {
        name: 'the index limit reached',
        move: { backend: 'pinecone', strategy: 'dedicated_index' },
        filler: 'pinecone:dedicated_index',
        status: 507,
        detail: /the Pinecone project holds 2 indexes; the configured limit is 2/,
      },
      {
        name: 'metadata above what Pinecone stores per record',
        move: { backend: 'pinecone', strategy: 'namespace' },
        metadataBytes: 30_000,
        status: 507,
        detail: /on pinecone the pinecone backend allows 20480 bytes per record/,
      },
    ],
  },
];

/** About `bytes` of metadata as JSON, in strings short enough for the per-value limit. */
function metadataOf(bytes: number): Record<string, string> {
  const chunks = Math.ceil(bytes / 10_000);
  return Object.fromEntries(
    Array.from({ length: chunks }, (_, i) => [`t${i}`, 'x'.repeat(Math.ceil(bytes / chunks))]),
  );
}

describe.each(TARGETS)('a move to $backend', ({ backend, env, refusals }) => {
  let world: PairWorld;
  beforeAll(async () => {
    world = await PairWorld.start(backend, env);
  });
  afterAll(() => world?.close());

  it.each(refusals.map((r, i) => [r.name, r, i] as const))(
    'is refused before anything starts: %s',
    async (_name, refusal, i) => {
      if (refusal.filler) await world.create(`fill-${backend}-${i}`, refusal.filler);
      const id = `stay-${backend}-${i}`;
      const dimension = refusal.dimension ?? DIM;
      const created = await world.create(id, 'embedded:partition_key', { dimension });
      const metadata = metadataOf(refusal.metadataBytes ?? 20);
      const put = await world.gw.http
        .put('/v1/vectors')
        .set(bearer(world.token(id)))
        .send({
          namespace: 'docs',
          vectors: [{ id: 'big', values: Array.from({ length: dimension }, () => 0.5), metadata }],
        });
      expect([put.status, put.body]).toEqual([200, expect.anything()]);
      const before = world.provisioned.length;

      const res = await world.gw.http
        .patch(`/v1/admin/tenants/${id}`)
        .set(bearer(world.gw.tokens.platform()))
        .send(refusal.move);
      expect([res.status, res.headers['content-type']]).toEqual([
        refusal.status,
        expect.stringContaining('application/problem+json'),
      ]);
      expect((res.body as { detail: string }).detail).toMatch(refusal.detail);

      // Nothing provisioned, nothing stored there, and the tenant where it was, serving.
      expect(world.provisioned.slice(before)).toEqual([]);
      expect(world.second.holds(created.uid)).not.toBe(true);
      const after = await world.tenant(id);
      expect(after).toMatchObject({ tier: 'standard', backend: 'embedded' });
      expect(after.strategy).toBe('partition_key');
      expect(after.migration).toBeUndefined();
      const read = await world.gw.http
        .get('/v1/vectors/big')
        .query({ namespace: 'docs' })
        .set(bearer(world.token(id)));
      expect(read.status).toBe(200);
    },
  );
});

describe('while a tenant moves to Pinecone', () => {
  let world: PairWorld;
  beforeAll(async () => {
    world = await PairWorld.start('pinecone', { MIGRATION_RECORDS_PER_SECOND: '5' });
  });
  afterAll(() => world?.close());

  it('refuses a write whose metadata the new place could not store (413 naming Pinecone)', async () => {
    const id = 'moving-pc';
    await world.create(id, 'embedded:partition_key');
    const vectors = Array.from({ length: 30 }, (_, i) => ({
      id: `r${i}`,
      values: Array.from({ length: DIM }, (_, j) => (i + j + 1) / 40),
    }));
    const put = await world.gw.http
      .put('/v1/vectors')
      .set(bearer(world.token(id)))
      .send({ vectors });
    expect(put.status).toBe(200);
    const big = { id: 'big', values: vectors[0]?.values, metadata: metadataOf(30_000) };
    const accepted = await world.gw.http
      .put('/v1/vectors')
      .set(bearer(world.token(id)))
      .send({ vectors: [{ ...big, id: 'big-before' }] });
    expect(accepted.status).toBe(200);
    await world.gw.http
      .post('/v1/vectors/delete')
      .set(bearer(world.token(id)))
      .send({ ids: ['big-before'] })
      .expect(200);

    const patch = await world.gw.http
      .patch(`/v1/admin/tenants/${id}`)
      .set(bearer(world.gw.tokens.platform()))
      .send({ backend: 'pinecone', strategy: 'namespace' });
    expect(patch.status).toBe(202);
    await world.waitFor(id, 'copying');
    const refused = await world.gw.http
      .put('/v1/vectors')
      .set(bearer(world.token(id)))
      .send({ vectors: [big] });
    expect(refused.status).toBe(413);
    expect((refused.body as { detail: string }).detail).toMatch(/set by the pinecone backend/);
    expect((await world.tenant(id)).migration?.state).toBe('copying');

    const after = await world.settled(id);
    expect(after).toMatchObject({ backend: 'pinecone', strategy: 'namespace' });
    expect(after.migration).toBeUndefined();
    const missing = await world.gw.http.get('/v1/vectors/big').set(bearer(world.token(id)));
    expect(missing.status).toBe(404);
  });
});
