import {
  BackendDrivers,
  DeleteSelector,
  ListPage,
  ListResult,
  ReadOptions,
  ScoredRecord,
  SearchQuery,
  StoredRecord,
  TenantScope,
  TenantVectorStore,
  VectorWrite,
} from '@vecgate/isolation';
import { MetricsService } from '@vecgate/core';
import { RecordListing } from '@vecgate/search';
import { TenantService } from '@vecgate/tenancy';
import { auditOf, newRequestId } from '../support/audit-trail';
import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';
import { WebhookSink } from '../support/webhook-sink';

/**
 * A faulty adapter: delegates to the real embedded backend, then adds the victim's real
 * records (read with the victim's scope, so they carry the victim's stored uid) to every read.
 */
class LeakyStore extends TenantVectorStore {
  leakFrom?: TenantScope;
  constructor(private readonly drivers: BackendDrivers) {
    super();
  }
  upsert(scope: TenantScope, records: readonly VectorWrite[]): Promise<{ upserted: number }> {
    return this.drivers.get(scope.placement.backend).upsert(scope, records);
  }
  async fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
  ): Promise<StoredRecord[]> {
    const own = await this.drivers.get(scope.placement.backend).fetch(scope, ids, options);
    const leaked = this.leakFrom
      ? await this.drivers.get('embedded').fetch(this.leakFrom, ids, options)
      : [];
    return [...leaked, ...own];
  }
  delete(scope: TenantScope, selector: DeleteSelector): Promise<{ deleted: number }> {
    return this.drivers.get(scope.placement.backend).delete(scope, selector);
  }
  async search(scope: TenantScope, query: SearchQuery): Promise<ScoredRecord[]> {
    const own = await this.drivers.get(scope.placement.backend).search(scope, query);
    const leaked = this.leakFrom
      ? await this.drivers.get('embedded').search(this.leakFrom, query)
      : [];
    return [...leaked, ...own];
  }
  count(scope: TenantScope): Promise<number> {
    return this.drivers.get(scope.placement.backend).count(scope);
  }
  async list(scope: TenantScope, page: ListPage): Promise<ListResult> {
    const own = await this.drivers.get(scope.placement.backend).list(scope, page);
    const leaked = this.leakFrom
      ? await this.drivers.get('embedded').list(this.leakFrom, { ...page, cursor: undefined })
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
