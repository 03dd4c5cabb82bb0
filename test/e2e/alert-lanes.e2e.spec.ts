import { setTimeout as sleep } from 'node:timers/promises';
import { MetricsService } from '@vecgate/core';
import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';
import { WebhookSink } from '../support/webhook-sink';

interface AlertBody {
  type: 'vecgate.alert';
  event: {
    action: string;
    tenantId?: string;
    subject?: string;
    requestId: string;
    /** The x-request-id the test sent; the gateway keys its events by an id of its own. */
    clientRequestId?: string;
  };
}
interface SummaryBody {
  type: 'vecgate.alert.summary';
  summary: { tenantId?: string; count: number; firstAt: number; lastAt: number };
}
type Received = AlertBody | SummaryBody;

const WINDOW_MS = 1000;
const QUOTA = 5;
const search = { vector: [1, 0], topK: 1 };

async function pendingInsider(gw: TestGateway): Promise<number> {
  const gauge = gw.app.get(MetricsService).registry.getSingleMetric('vecgate_alerts_pending');
  const values = (await gauge?.get())?.values ?? [];
  return values.find((v) => v.labels.lane === 'insider')?.value ?? 0;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function insiderSearch(gw: TestGateway, requestId: string, tenant = 'al-victim') {
  return gw.http
    .post(`/v1/admin/tenants/${tenant}/search`)
    .set({
      ...bearer(gw.tokens.platform(['cross_tenant_admin'], { sub: 'insider' })),
      'x-request-id': requestId,
    })
    .send(search);
}

describe('alert lanes', () => {
  const sink = new WebhookSink();
  let gw: TestGateway;

  beforeAll(async () => {
    const url = await sink.start();
    gw = await startGateway({
      env: {
        ALERT_WEBHOOK_URL: url,
        ALERT_WINDOW_MS: String(WINDOW_MS),
        ALERT_QUOTA_PER_WINDOW: String(QUOTA),
        ALERT_WEBHOOK_RETRIES: '2',
      },
    });
    for (const id of ['al-victim', 'al-flooder', 'al-bystander'])
      await createTenant(gw.http, gw.tokens, { id, dimension: 2, metric: 'dot' });
  });

  afterAll(async () => {
    await gw.close(true);
    await sink.stop();
  });

  it('delivers every insider alert and turns a burst of 3,000 refused attempts into summaries', async () => {
    sink.received.length = 0;
    const flooder = bearer(gw.tokens.tenant('al-flooder', ['reader', 'tenant_admin']));
    const attempts = 3000;
    const insiders = ['insider-1', 'insider-2', 'insider-3'];
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (sent < attempts) {
        const n = sent++;
        // Two kinds of refused attempt: another tenant's admin route, a tenant header.
        const res =
          n % 2 === 0
            ? await gw.http.get('/v1/admin/tenants/al-victim').set(flooder)
            : await gw.http
                .post('/v1/search')
                .set({ ...flooder, 'x-tenant-id': 'al-victim' })
                .send(search);
        expect([400, 403]).toContain(res.status);
        if (n === 1000) {
          const one = await gw.http
            .get('/v1/admin/tenants/al-victim')
            .set(bearer(gw.tokens.tenant('al-bystander', ['tenant_admin'])));
          expect(one.status).toBe(403);
        }
        if (n % 1000 === 500) {
          const res2 = await insiderSearch(gw, insiders[Math.floor(n / 1000)]!);
          expect(res2.status).toBe(200);
        }
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 16 }, worker));
    await sleep(WINDOW_MS + 200);
    await gw.flushAudit();
    // Windows that opened while the flood ran (its length depends on the machine's load).
    const windows = Math.ceil((Date.now() - started) / WINDOW_MS) + 1;

    const received = sink.received as Received[];
    const alerts = received.filter((b): b is AlertBody => b.type === 'vecgate.alert');
    const summaries = received.filter((b): b is SummaryBody => b.type === 'vecgate.alert.summary');

    // The insider lane: each cross_tenant_admin search arrives, one by one.
    const insiderSeen = alerts.filter((a) => a.event.action === 'admin.cross_tenant.search');
    expect(insiderSeen.map((a) => a.event.clientRequestId).sort()).toEqual(insiders);

    // The other tenant's single attempt arrives as itself, not crowded out.
    expect(alerts.filter((a) => a.event.tenantId === 'al-bystander')).toHaveLength(1);

    // The burst: at most the quota one by one per window, the rest counted in summaries.
    const single = alerts.filter((a) => a.event.tenantId === 'al-flooder').length;
    const folded = summaries
      .filter((s) => s.summary.tenantId === 'al-flooder')
      .reduce((sum, s) => sum + s.summary.count, 0);
    expect(single + folded).toBe(attempts);
    const flooderSummaries = summaries.filter((s) => s.summary.tenantId === 'al-flooder');
    expect(flooderSummaries.length).toBeGreaterThan(0);
    expect(flooderSummaries.length).toBeLessThanOrEqual(windows);
    expect(single).toBeLessThanOrEqual(QUOTA * windows);
    for (const s of summaries) expect(s.summary.lastAt).toBeGreaterThanOrEqual(s.summary.firstAt);
  }, 120_000);

  it('keeps insider alerts while the webhook is down, counts them pending, and delivers them once it is back', async () => {
    sink.received.length = 0;
    sink.failFirst = 1_000_000;
    for (const id of ['down-1', 'down-2', 'down-3'])
      expect((await insiderSearch(gw, id)).status).toBe(200);
    await until('three pending insider alerts', async () => (await pendingInsider(gw)) === 3);
    await sleep(1500);
    expect(sink.received).toEqual([]);
    expect(await pendingInsider(gw)).toBe(3);

    sink.failFirst = 0;
    await until('the three alerts', () => sink.received.length >= 3);
    const ids = (sink.received as AlertBody[]).map((b) => b.event.clientRequestId);
    expect(ids).toEqual(['down-1', 'down-2', 'down-3']);
    await until('an empty outbox', async () => (await pendingInsider(gw)) === 0);
  }, 60_000);
});

describe('insider alerts across a restart', () => {
  const sink = new WebhookSink();

  afterAll(() => sink.stop());

  it('delivers after a restart the insider alerts the webhook did not take before', async () => {
    const url = await sink.start();
    sink.failFirst = 1_000_000;
    const env = { ALERT_WEBHOOK_URL: url };
    const first = await startGateway({ env });
    try {
      await createTenant(first.http, first.tokens, {
        id: 'al-victim2',
        dimension: 2,
        metric: 'dot',
      });
      const res = await insiderSearch(first, 'before-restart', 'al-victim2');
      expect(res.status).toBe(200);
      await until('one pending insider alert', async () => (await pendingInsider(first)) === 1);
    } finally {
      await first.close();
    }
    expect(sink.received).toEqual([]);
    sink.failFirst = 0;
    const second = await startGateway({ env, dataDir: first.dataDir });
    try {
      await until('the alert from before the restart', () => sink.received.length === 1);
      expect((sink.received[0] as AlertBody).event.clientRequestId).toBe('before-restart');
    } finally {
      await second.close(true);
    }
  }, 60_000);
});
