import { BackendDrivers, TenantScope, TenantVectorStore } from '@vecgate/isolation';
import { RoutingVectorStore } from '@vecgate/isolation/routing/routing-vector-store';
import { MigrationGate } from '@vecgate/isolation/routing/migration-gate';
import { ScopeFence } from '@vecgate/isolation/routing/scope-fence';
import { MetricsService } from '@vecgate/core';
import { RecordListing } from '@vecgate/search';
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
    super(drivers, new ScopeFence(), new MigrationGate());
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

  override async list(...[scope, page, call]: Parameters<TenantVectorStore['list']>) {
    const own = await super.list(scope, page, call);
    const leaked = this.leakFrom
      ? await super.list(this.leakFrom, { ...page, cursor: undefined })
      : { records: [] };
    return { ...own, records: [...leaked.records, ...own.records] };
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

  it('drops a record of another tenant from a listed page', async () => {
    const before = await violations();
    const reader = gw.app.get(TenantService);
    const scope = reader.scopeOf(await reader.get('reader'));
    const page = await gw.app
      .get(RecordListing)
      .page(
        scope,
        { limit: 10, includeMetadata: true },
        { requestId: newRequestId(), ip: '127.0.0.1' },
      );
    expect(page.records).toEqual([
      { id: 'shared-id', tenantUid: scope.tenantUid, namespace: '', metadata: { owner: 'reader' } },
    ]);
    expect(await violations()).toBe(before + 1);
  });

  it('refuses a listing request out of bounds with a 400 naming the field, before the backend', async () => {
    const reader = gw.app.get(TenantService);
    const scope = reader.scopeOf(await reader.get('reader'));
    const listing = gw.app.get(RecordListing);
    const trace = { requestId: newRequestId(), ip: '127.0.0.1' };
    const refused = [
      [{ limit: 0 }, 'limit'],
      [{ limit: '5' }, 'limit'],
      [{ limit: 1001 }, 'limit'],
      [{ limit: 10, cursor: 7 }, 'cursor'],
      [{ limit: 10, cursor: 'not-a-cursor' }, 'cursor'],
      [{ limit: 10, prefix: 'x'.repeat(513) }, 'prefix'],
    ] as const;
    for (const [request, field] of refused) {
      await expect(listing.page(scope, request, trace)).rejects.toMatchObject({
        status: 400,
        extras: { field },
      });
    }
    await expect(
      listing.page(scope, { limit: 10, filter: { tenant_id: 'victim' } }, trace),
    ).rejects.toMatchObject({ status: 400 });
  });
});
