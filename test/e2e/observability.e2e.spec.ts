import { MetricsService } from '@vecgate/core';
import { AuditService } from '@vecgate/audit';
import { createTenant } from '../support/fixtures';
import { startGateway, tempDataDir } from '../support/test-gateway';
import { bearer } from '../support/tokens';

describe('observability', () => {
  it('labels metrics by route and status, never by tenant', async () => {
    const gw = await startGateway();
    try {
      const uids: string[] = [];
      for (const id of ['metric-a', 'metric-b']) {
        const tenant = await createTenant(gw.http, gw.tokens, { id, dimension: 2, metric: 'dot' });
        uids.push(tenant.uid as string);
        const token = bearer(gw.tokens.tenant(id, ['reader', 'writer']));
        await gw.http
          .put('/v1/vectors')
          .set(token)
          .send({ vectors: [{ id: 'x', values: [1, 2] }] });
        await gw.http
          .post('/v1/search')
          .set(token)
          .send({ vector: [1, 2], topK: 1 });
        await gw.http.get('/v1/vectors/missing').set(token);
      }
      const text = await gw.app.get(MetricsService).registry.metrics();
      expect(text).toMatch(
        /vecgate_http_requests_total\{method="POST",route="\/v1\/search",status="200"\} 2/,
      );
      expect(text).toMatch(
        /vecgate_http_requests_total\{method="GET",route="\/v1\/vectors\/:id",status="404"\} 2/,
      );
      for (const secret of ['metric-a', 'metric-b', ...uids]) expect(text).not.toContain(secret);
    } finally {
      await gw.close(true);
    }
  });

  it('stores unauthenticated requests one by one up to the rate, and counts every other one', async () => {
    const dataDir = tempDataDir();
    const first = await startGateway({ dataDir, env: { AUDIT_UNAUTHENTICATED_PER_SECOND: '3' } });
    const sent = 12;
    await Promise.all(
      Array.from({ length: sent }, () =>
        first.http.post('/v1/search').send({ vector: [1], topK: 1 }),
      ),
    );
    await first.close();
    const second = await startGateway({ dataDir });
    try {
      const page = await second.app.get(AuditService).query({ action: 'vectors.search' }, 100);
      const summary = await second.app
        .get(AuditService)
        .query({ action: 'audit.unauthenticated_summary' }, 10);
      const individual = page.items.filter((e) => e.status === 401).length;
      const counted = summary.items.reduce((n, e) => n + (e.resultCount ?? 0), 0);
      expect(individual).toBeGreaterThanOrEqual(3);
      expect(individual).toBeLessThan(sent);
      expect(individual + counted).toBe(sent);
    } finally {
      await second.close(true);
    }
  });
});
