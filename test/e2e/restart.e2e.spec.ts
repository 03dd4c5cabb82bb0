import { createTenant } from '../support/fixtures';
import { auditOf, newRequestId } from '../support/audit-trail';
import { startGateway, tempDataDir } from '../support/test-gateway';
import { bearer } from '../support/tokens';

describe('restart on the same data directory', () => {
  it('loses no acknowledged upsert, tenant, minted token or audit event', async () => {
    const dataDir = tempDataDir();
    const first = await startGateway({ dataDir });
    const tiers = { alpha: 'enterprise', beta: 'premium', gamma: 'standard' } as const;
    const minted: Record<string, string> = {};
    const writeIds: string[] = [];
    for (const [id, tier] of Object.entries(tiers)) {
      await createTenant(first.http, first.tokens, { id, tier, dimension: 3, metric: 'euclidean' });
      const mint = await first.http
        .post(`/v1/admin/tenants/${id}/tokens`)
        .set(bearer(first.tokens.platform()))
        .send({ subject: `${id}-svc`, roles: ['reader', 'writer'], ttlSeconds: 600 });
      minted[id] = (mint.body as { token: string }).token;
      const requestId = newRequestId();
      writeIds.push(requestId);
      const vectors = Array.from({ length: 50 }, (_, i) => ({
        id: `r${i}`,
        values: [i, i + 1, i + 2],
        metadata: { i },
      }));
      const upsert = await first.http
        .put('/v1/vectors')
        .set({ ...bearer(minted[id]), 'x-request-id': requestId })
        .send({ vectors });
      expect(upsert.status).toBe(200);
    }
    // Durable mode: every answer above was sent after its audit event was committed.
    await first.close();

    const second = await startGateway({ dataDir });
    try {
      const list = await second.http.get('/v1/admin/tenants').set(bearer(second.tokens.platform()));
      expect(
        (list.body as { items: { id: string; status: string }[] }).items.map((t) => t.id),
      ).toEqual(['alpha', 'beta', 'gamma']);
      for (const id of Object.keys(tiers)) {
        const fetched = await second.http.get('/v1/vectors/r49').set(bearer(minted[id] as string));
        expect(fetched.status).toBe(200);
        expect(fetched.body).toEqual({ id: 'r49', values: [49, 50, 51], metadata: { i: 49 } });
        const found = await second.http
          .post('/v1/search')
          .set(bearer(minted[id] as string))
          .send({ vector: [10, 11, 12], topK: 3 });
        expect(
          (found.body as { matches: { id: string; score: number }[] }).matches.map((m) => m.id),
        ).toEqual(['r10', 'r9', 'r11']);
        const stats = await second.http
          .get('/v1/stats')
          .set(bearer(second.tokens.tenant(id, ['tenant_admin'])));
        expect(stats.body).toMatchObject({ vectorCount: 50 });
      }
      for (const requestId of writeIds) {
        const events = await auditOf(second, requestId);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ action: 'vectors.upsert', status: 200, resultCount: 50 });
      }
    } finally {
      await second.close(true);
    }
  });
});
