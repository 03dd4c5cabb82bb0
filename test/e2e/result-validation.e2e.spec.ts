import { BackendDrivers, TenantScope, TenantVectorStore } from '@vecgate/isolation';
import { RoutingVectorStore } from '@vecgate/isolation/routing/routing-vector-store';
import { ScopeFence } from '@vecgate/isolation/routing/scope-fence';
import { MetricsService } from '@vecgate/core';
import { TenantService } from '@vecgate/tenancy';
import { auditOf, newRequestId } from '../support/audit-trail';
import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';
import { WebhookSink } from '../support/webhook-sink';

/**
 * A faulty adapter: routes to the real backends as the production store does, then adds the
 * victim's real records (read with the victim's scope, so they carry the victim's stored uid)
 * to every read.
 */
class LeakyStore extends RoutingVectorStore {
  leakFrom?: TenantScope;

  constructor(drivers: BackendDrivers) {
    super(drivers, new ScopeFence());
  }

  override async fetch(...[scope, ids, options, call]: Parameters<TenantVectorStore['fetch']>) {
    const own = await super.fetch(scope, ids, options, call);
    const leaked = this.leakFrom ? await super.fetch(this.leakFrom, ids, options) : [];
    return [...leaked, ...own];
  }

  override async search(...[scope, query, call]: Parameters<TenantVectorStore['search']>) {
    const own = await super.search(scope, query, call);
    const leaked = this.leakFrom ? await super.search(this.leakFrom, query) : [];
    return [...leaked, ...own];
  }
}

describe('result validation', () => {
  let gw: TestGateway;
  let leaky: LeakyStore;
  const sink = new WebhookSink();

  beforeAll(async () => {
    const url = await sink.start();
    sink.failFirst = 1;
    gw = await startGateway({
      env: { ALERT_WEBHOOK_URL: url },
      override: (builder) =>
        builder.overrideProvider(TenantVectorStore).useFactory({
          factory: (drivers: BackendDrivers) => (leaky = new LeakyStore(drivers)),
          inject: [BackendDrivers],
        }),
    });
    for (const id of ['victim', 'reader']) {
      await createTenant(gw.http, gw.tokens, { id, dimension: 3, metric: 'cosine' });
      const res = await gw.http
        .put('/v1/vectors')
        .set(bearer(gw.tokens.tenant(id, ['writer'])))
        .send({ vectors: [{ id: 'shared-id', values: [1, 2, 3], metadata: { owner: id } }] });
      expect(res.status).toBe(200);
    }
    const victim = await gw.app.get(TenantService).get('victim');
    leaky.leakFrom = gw.app.get(TenantService).scopeOf(victim);
  });

  afterAll(async () => {
    await gw.close(true);
    await sink.stop();
  });

  const violations = async (): Promise<number> => {
    const metric = gw.app
      .get(MetricsService)
      .registry.getSingleMetric('vecgate_isolation_violations_total');
    const values = (await metric?.get())?.values ?? [];
    return values.reduce((sum, v) => sum + v.value, 0);
  };

  it('drops a record of another tenant from a search, counts it, audits it at alert level and calls the webhook', async () => {
    const before = await violations();
    const requestId = newRequestId();
    const res = await gw.http
      .post('/v1/search')
      .set({ ...bearer(gw.tokens.tenant('reader', ['reader'])), 'x-request-id': requestId })
      .send({ vector: [1, 2, 3], topK: 10, includeMetadata: true });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      matches: [{ id: 'shared-id', score: expect.any(Number), metadata: { owner: 'reader' } }],
    });
    expect(await violations()).toBe(before + 1);

    const events = await auditOf(gw, requestId);
    const violation = events.find((e) => e.action === 'isolation.violation');
    expect(violation).toMatchObject({ severity: 'alert', outcome: 'error', resultCount: 1 });
    const answered = events.find((e) => e.action === 'vectors.search');
    expect(answered).toMatchObject({ status: 200, resultCount: 1 });

    const alert = sink.received.find(
      (body) =>
        (body as { event: { clientRequestId?: string } }).event.clientRequestId === requestId,
    ) as { type: string; event: { action: string; severity: string } } | undefined;
    expect(alert).toMatchObject({
      type: 'vecgate.alert',
      event: { action: 'isolation.violation', severity: 'alert' },
    });
  });

  it('drops a record of another tenant from a fetch by id', async () => {
    const before = await violations();
    const res = await gw.http
      .get('/v1/vectors/shared-id')
      .set(bearer(gw.tokens.tenant('reader', ['reader'])));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'shared-id', metadata: { owner: 'reader' } });
    expect(await violations()).toBe(before + 1);
  });
});
