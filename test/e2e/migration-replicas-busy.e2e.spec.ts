import { setTimeout as sleep } from 'node:timers/promises';
import { QdrantStub } from '../wire/qdrant/stub';
import { PGLITE_DATA_ROLE, startPglite } from '../support/pglite';
import { createTenant } from '../support/fixtures';
import { describeOnPostgres, ReplicaPair, startReplicaPair } from '../support/replicas';
import { TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';
import { InProcessOnly, MigrationLock } from '@vecgate/isolation';

/**
 * `VECGATE_E2E_WITHOUT_MIGRATION_LOCK=1` runs the replicas with their in-process gates alone
 * (no advisory lock), to see what the lock prevents: on Qdrant most runs then roll the move
 * back. On PGlite the race is rare (each write is two whole transactions on its one session,
 * which rarely fit between a page's read and its write).
 */
const WITHOUT_LOCK = process.env.VECGATE_E2E_WITHOUT_MIGRATION_LOCK === '1';

/**
 * A tenant moves between two placements of a server backend shared by two replicas on one
 * PostgreSQL registry, while writers on both replicas upsert and delete the same ids
 * throughout: the move completes (the verification finds both places equal, so nothing rolls
 * back), and every acknowledged write or delete holds in the new place.
 *
 * Both from a place of the tenant's own to a shared one: on pgvector (PGlite, live, one
 * connection per replica) and on Qdrant (the real client against the stub).
 */

jest.setTimeout(240_000);

const DIM = 8;
const ID = 'busy';
const NAMESPACES = ['', 'docs'];
const RECORDS = 200;
/** The ids both replicas' writers fight over, in each namespace: copied, written, deleted. */
const HOT = 180;

/** One write or delete, with when it was sent and answered, and what it left. */
interface Op {
  readonly key: string;
  readonly sentAt: number;
  readonly answeredAt: number;
  /** The value the record holds after it, or null once deleted. */
  readonly value: number | null;
}

function vector(seed: number): number[] {
  return Array.from({ length: DIM }, (_, j) => ((seed * 31 + j * 17) % 97) / 97 + 0.01);
}

/** A server backend both replicas reach, and the settings that place tiers on it. */
interface SharedBackend {
  readonly name: 'pgvector' | 'qdrant';
  start(): Promise<{ env: Record<string, string>; stop(): Promise<void> }>;
}

const BACKENDS: SharedBackend[] = [
  {
    name: 'pgvector',
    async start() {
      const pglite = await startPglite(60_000, 2);
      const env = {
        PGVECTOR_URL: pglite.url,
        PGVECTOR_POOL_SIZE: '1',
        PGVECTOR_DATA_ROLE: PGLITE_DATA_ROLE,
        PLACEMENT_POLICY: 'standard=pgvector:collection,shared=pgvector:partition_key',
      };
      return { env, stop: () => pglite.stop() };
    },
  },
  {
    name: 'qdrant',
    async start() {
      const stub = await QdrantStub.start();
      const env = {
        QDRANT_URL: stub.url,
        QDRANT_SHARED_COLLECTIONS: `${DIM}:cosine=vg_shared_${DIM}`,
        PLACEMENT_POLICY: 'standard=qdrant:collection,shared=qdrant:partition_key',
      };
      return { env, stop: () => stub.close() };
    },
  },
];

let pair: ReplicaPair;

async function tenantBody(gw: TestGateway, id = ID): Promise<Record<string, unknown>> {
  const res = await gw.http.get(`/v1/admin/tenants/${id}`).set(bearer(gw.tokens.platform()));
  return res.body as Record<string, unknown>;
}

/**
 * Upserts and deletes hot ids through one replica until `stop`, one call at a time, recording
 * each acknowledged one; any other answer than 200 or a refusal (409: the place it used has
 * just been retired, nothing written) fails the test.
 */
async function writer(
  gw: TestGateway,
  seed: number,
  stop: { done: boolean },
  ops: Op[],
): Promise<void> {
  const token = bearer(gw.tokens.tenant(ID, ['reader', 'writer']));
  for (let n = 0; !stop.done; n++) {
    const namespace = NAMESPACES[n % NAMESPACES.length] ?? '';
    const id = `r-${(n * 7 + seed * 5) % HOT}`;
    const value = seed * 1_000_000 + n;
    const sentAt = Date.now();
    const remove = n % 5 === 4;
    const res = remove
      ? await gw.http
          .post('/v1/vectors/delete')
          .set(token)
          .send({ namespace, ids: [id] })
      : await gw.http
          .put('/v1/vectors')
          .set(token)
          .send({ namespace, vectors: [{ id, values: vector(value), metadata: { value } }] });
    if (res.status === 409) continue;
    if (res.status !== 200)
      throw new Error(`writer ${seed}: ${res.status} ${JSON.stringify(res.body)}`);
    ops.push({
      key: `${namespace}/${id}`,
      sentAt,
      answeredAt: Date.now(),
      value: remove ? null : value,
    });
    if (n % 3 === 0) await sleep(1);
  }
}

/**
 * What a key may hold at the end: the outcome of an acknowledged op that no other op of the key
 * followed (sent after it was answered). Two such ops overlapped, and either may have landed last.
 */
function finalCandidates(ops: readonly Op[]): Map<string, Set<number | null>> {
  const byKey = new Map<string, Op[]>();
  for (const op of ops) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  const out = new Map<string, Set<number | null>>();
  for (const [key, list] of byKey) {
    const last = list.filter((op) => !list.some((other) => other.sentAt > op.answeredAt));
    out.set(key, new Set(last.map((op) => op.value)));
  }
  return out;
}

describeOnPostgres.each(BACKENDS)('moving a busy tenant of $name with two replicas', (backend) => {
  let stopBackend: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const shared = await backend.start();
    stopBackend = shared.stop;
    pair = await startReplicaPair({
      ...(WITHOUT_LOCK
        ? { override: (b) => b.overrideProvider(MigrationLock).useValue(new InProcessOnly()) }
        : {}),
      env: {
        ...shared.env,
        TENANT_CACHE_TTL_MS: '400',
        TENANT_DELETE_GRACE_MS: '200',
        // Slow enough that the copy spans many pages written to meanwhile.
        MIGRATION_RECORDS_PER_SECOND: '100',
      },
    });
  });

  afterAll(async () => {
    await pair?.close();
    await stopBackend?.();
  });

  it('completes while both replicas write and delete the same ids, and keeps every acknowledged write', async () => {
    await createTenant(pair.a.http, pair.a.tokens, {
      id: ID,
      tier: 'standard',
      dimension: DIM,
      metric: 'cosine',
    });
    const token = bearer(pair.a.tokens.tenant(ID, ['reader', 'writer']));
    for (const namespace of NAMESPACES) {
      const vectors = Array.from({ length: RECORDS }, (_, i) => ({
        id: `r-${i}`,
        values: vector(i),
        metadata: { value: i },
      }));
      const res = await pair.a.http.put('/v1/vectors').set(token).send({ namespace, vectors });
      expect(res.status).toBe(200);
    }

    const stop = { done: false };
    const ops: Op[] = [];
    const writers = [pair.a, pair.b, pair.a, pair.b].map((gw, seed) =>
      writer(gw, seed + 1, stop, ops),
    );
    const states = new Set<string>();
    try {
      await sleep(300);
      const patch = await pair.a.http
        .patch(`/v1/admin/tenants/${ID}`)
        .set(bearer(pair.a.tokens.platform()))
        .send({ tier: 'shared' });
      expect(patch.status).toBe(202);
      const deadline = Date.now() + 180_000;
      for (;;) {
        const body = await tenantBody(pair.b);
        const state = (body.migration as { state?: string } | undefined)?.state;
        if (state) states.add(state);
        if (!state && body.strategy === 'partition_key') break;
        if (state === 'rolling_back' || state === 'failed' || Date.now() > deadline)
          throw new Error(`the move did not complete: ${JSON.stringify(body.migration)}`);
        await sleep(50);
      }
    } finally {
      stop.done = true;
      await Promise.all(writers);
    }
    // The writers were busy through the copy and the switch.
    expect([...states]).toEqual(expect.arrayContaining(['copying', 'switched']));
    expect(ops.length).toBeGreaterThan(200);

    // Every record, through either replica: the outcome of a last acknowledged op on it, or
    // the value it was created with when no writer touched it.
    const candidates = finalCandidates(ops);
    expect(candidates.size).toBeGreaterThan(HOT / 2);
    for (const gw of [pair.a, pair.b]) {
      const reader = bearer(gw.tokens.tenant(ID, ['reader']));
      for (const namespace of NAMESPACES) {
        for (let i = 0; i < RECORDS; i++) {
          const key = `${namespace}/r-${i}`;
          const allowed = candidates.get(key) ?? new Set([i]);
          const res = await gw.http.get(`/v1/vectors/r-${i}?namespace=${namespace}`).set(reader);
          const held = res.status === 404 ? null : (res.body as { metadata: { value: number } });
          expect([key, allowed.has(held === null ? null : held.metadata.value)]).toEqual([
            key,
            true,
          ]);
        }
      }
    }
    const stats = await pair.b.http
      .get('/v1/stats')
      .set(bearer(pair.b.tokens.tenant(ID, ['tenant_admin'])));
    expect(stats.body).toMatchObject({ strategy: 'partition_key' });
  });

  it('refuses (409) to move a server-backend tenant to the embedded backend, and starts nothing', async () => {
    await createTenant(pair.a.http, pair.a.tokens, {
      id: 'stays',
      tier: 'standard',
      dimension: DIM,
      metric: 'cosine',
    });
    const res = await pair.b.http
      .patch('/v1/admin/tenants/stays')
      .set(bearer(pair.b.tokens.platform()))
      .send({ backend: 'embedded', strategy: 'partition_key' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      detail: `with several replicas a tenant on ${backend.name} cannot move to the embedded backend`,
    });
    for (const gw of [pair.a, pair.b]) {
      const body = await tenantBody(gw, 'stays');
      expect(body).toMatchObject({ backend: backend.name, strategy: 'collection' });
      expect(body.migration).toBeUndefined();
    }
  });
});
