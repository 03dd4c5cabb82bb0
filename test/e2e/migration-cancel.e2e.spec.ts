import { eventually } from '../support/eventually';
import { bearer } from '../support/tokens';
import { PairWorld, PlaceName } from './migration-pairs/pair-world';
import { DIM, SecondBackend } from './migration-pairs/second-backends';

/**
 * A move to a server backend cancelled during its copy: the tenant stays where it was with
 * every record, and the new place, half filled, is erased there (its erasure verified, and
 * nothing of the tenant left in the stub's state).
 */

jest.setTimeout(120_000);

const TARGETS: readonly (readonly [SecondBackend, PlaceName])[] = [
  ['pgvector', 'pgvector:collection'],
  ['milvus', 'milvus:database'],
  ['qdrant', 'qdrant:collection'],
  ['pinecone', 'pinecone:dedicated_index'],
];
const RECORDS = 150;

// The targets run side by side, each with its own gateway and backend: each waits mostly on
// its paced copy.
it.concurrent.each(TARGETS)(
  'a move to %s cancelled during its copy (%s) leaves the tenant in its place with every record and erases the new one',
  async (backend, target) => {
    const world = await PairWorld.start(backend, { MIGRATION_RECORDS_PER_SECOND: '20' });
    try {
      const id = `cancel-${backend}`;
      const marker = `CANCEL${backend.toUpperCase()}Q`;
      const created = await world.create(id, 'embedded:partition_key');
      const vectors = Array.from({ length: RECORDS }, (_, i) => ({
        id: `${marker}-${i}`,
        values: Array.from({ length: DIM }, (_, j) => ((i * 7 + j) % 13) / 13 + 0.01),
        metadata: { text: `${marker} ${i}`, 'a.b': i },
      }));
      const put = await world.gw.http
        .put('/v1/vectors')
        .set(bearer(world.token(id)))
        .send({ vectors });
      expect(put.status).toBe(200);
      const [toBackend, toStrategy] = target.split(':');
      const patch = await world.gw.http
        .patch(`/v1/admin/tenants/${id}`)
        .set(bearer(world.gw.tokens.platform()))
        .send({ backend: toBackend, strategy: toStrategy });
      expect(patch.status).toBe(202);
      // A first page is in the new place when the move is cancelled.
      await eventually(60_000, async () => {
        const m = (await world.tenant(id)).migration as { copied?: number } | undefined;
        return (m?.copied ?? 0) > 0;
      });
      expect(world.second.holds(marker)).not.toBe(false);
      const cancel = await world.gw.http
        .delete(`/v1/admin/tenants/${id}/migration`)
        .set(bearer(world.gw.tokens.platform()));
      expect(cancel.status).toBe(202);

      const after = await world.settled(id);
      expect(after.migration).toBeUndefined();
      expect(after).toMatchObject({ backend: 'embedded', strategy: 'partition_key' });
      for (const v of vectors) {
        const res = await world.gw.http.get(`/v1/vectors/${v.id}`).set(bearer(world.token(id)));
        expect([v.id, res.status, (res.body as { metadata?: unknown }).metadata]).toEqual([
          v.id,
          200,
          v.metadata,
        ]);
      }
      const reports = await world.retired(created.uid);
      expect(reports.map((r) => r.backend)).toEqual([toBackend]);
      expect(reports.flatMap((r) => r.report.places).filter((p) => p.remaining !== 0)).toEqual([]);
      expect(world.second.holds(marker)).not.toBe(true);
      expect(world.second.holds(created.uid)).not.toBe(true);
    } finally {
      await world.close();
    }
  },
);
