import { BackendDrivers, TenantVectorStore } from '@vecgate/isolation';
import { request as httpRequest } from 'node:http';
import { auditOf, newRequestId } from '../support/audit-trail';
import { createTenant } from '../support/fixtures';
import { SlowStore, Slowness } from '../support/slow-store';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/**
 * Deadlines, disconnects and the per-tenant in-flight cap, with a backend that is slow for one
 * tenant (`slowpoke`) and normal for its neighbour (`quiet`).
 */
describe('deadlines, disconnects and in-flight caps', () => {
  let gw: TestGateway;
  let store: SlowStore;
  let port: number;
  const DEADLINE = 400;
  const query = { vector: [1, 0, 0], topK: 3 };

  const as = (tenant: string, role: string): Record<string, string> =>
    bearer(gw.tokens.tenant(tenant, [role]));

  beforeAll(async () => {
    gw = await startGateway({
      env: { REQUEST_DEADLINE_MS: String(DEADLINE), TENANT_MAX_INFLIGHT: '2' },
      override: (builder) =>
        builder.overrideProvider(TenantVectorStore).useFactory({
          factory: (drivers: BackendDrivers) => (store = new SlowStore(drivers)),
          inject: [BackendDrivers],
        }),
    });
    port = gw.port;
    for (const id of ['slowpoke', 'quiet']) {
      await createTenant(gw.http, gw.tokens, { id, dimension: 3, metric: 'cosine' });
      const res = await gw.http
        .put('/v1/vectors')
        .set(as(id, 'writer'))
        .send({ vectors: [{ id: 'a', values: [1, 0, 0], metadata: { owner: id } }] });
      expect(res.status).toBe(200);
    }
  });

  afterEach(() => store.slow.clear());
  afterAll(() => gw.close(true));

  /** A search by slowpoke's reader over a socket of its own, sent once the caller ends it. */
  const slowpokeSearch = (headers: Record<string, string> = {}) =>
    httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/search',
      headers: { ...as('slowpoke', 'reader'), 'content-type': 'application/json', ...headers },
    });

  /**
   * Slowpoke writes one record with its backend slowed as given; then, at normal speed, the
   * record is read back and the write's audit trail read.
   */
  async function slowedWrite(slowness: Slowness, record: { id: string; values: number[] }) {
    store.slow.set('slowpoke', slowness);
    const id = newRequestId();
    const res = await gw.http
      .put('/v1/vectors')
      .set({ ...as('slowpoke', 'writer'), 'x-request-id': id })
      .send({ vectors: [record] });
    store.slow.clear();
    const fetched = await gw.http.get(`/v1/vectors/${record.id}`).set(as('slowpoke', 'reader'));
    return { res, fetched, audited: (await auditOf(gw, id)).map((e) => e.status) };
  }

  /** Waits until every slowed call has settled, so the next test starts with free slots. */
  async function settle(count: number): Promise<void> {
    const until = Date.now() + 10_000;
    while (store.settled < count && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  it('answers a search 504 deadline_exceeded at its deadline even when the backend ignores the signal', async () => {
    store.slow.set('slowpoke', { delayMs: DEADLINE * 10, honoursSignal: false });
    const before = store.settled;
    const id = newRequestId();
    const started = Date.now();
    const res = await gw.http
      .post('/v1/search')
      .set({ ...as('slowpoke', 'reader'), 'x-request-id': id })
      .send(query);
    const waited = Date.now() - started;
    expect(res.status).toBe(504);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      status: 504,
      reason: 'deadline_exceeded',
      requestId: res.headers['x-request-id'],
    });
    // Long before the backend's answer (10 deadlines), whatever the machine's load.
    expect(waited).toBeLessThan(DEADLINE * 7);
    const events = await auditOf(gw, id);
    expect(events.map((e) => [e.status, e.outcome])).toEqual([[504, 'error']]);
    await settle(before + 1);
  });

  it('serves the neighbour of a tenant whose searches pass their deadline', async () => {
    store.slow.set('slowpoke', { delayMs: DEADLINE * 3, honoursSignal: false });
    const before = store.settled;
    const [slow, quiet] = await Promise.all([
      gw.http.post('/v1/search').set(as('slowpoke', 'reader')).send(query),
      gw.http
        .post('/v1/search')
        .set(as('quiet', 'reader'))
        .send({ ...query, includeMetadata: true }),
    ]);
    expect(slow.status).toBe(504);
    expect(quiet.status).toBe(200);
    expect(quiet.body.matches).toEqual([
      expect.objectContaining({ id: 'a', metadata: { owner: 'quiet' } }),
    ]);
    await settle(before + 2);
  });

  it('answers a write that committed after its deadline as committed', async () => {
    const { res, fetched, audited } = await slowedWrite(
      { delayMs: DEADLINE * 2, honoursSignal: false },
      { id: 'late', values: [0, 1, 0] },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ upserted: 1 });
    expect(fetched.status).toBe(200);
    expect(audited).toEqual([200]);
  });

  it('answers 504 for a write the backend stopped at the deadline, and stores nothing of it', async () => {
    const { res, fetched, audited } = await slowedWrite(
      { delayMs: DEADLINE * 5, honoursSignal: true },
      { id: 'stopped', values: [0, 0, 1] },
    );
    expect(res.status).toBe(504);
    expect(res.body.reason).toBe('deadline_exceeded');
    expect(fetched.status).toBe(404);
    expect(audited).toEqual([504]);
  });

  it('audits a search whose client hung up as 499 client_closed_request, never 200', async () => {
    store.slow.set('slowpoke', { delayMs: 150, honoursSignal: false });
    const before = store.settled;
    const id = newRequestId();
    await new Promise<void>((resolve) => {
      const req = slowpokeSearch({ 'x-request-id': id });
      req.on('error', () => resolve());
      req.end(JSON.stringify(query));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await settle(before + 1);
    await new Promise((r) => setTimeout(r, 50));
    const events = await auditOf(gw, id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: 499, outcome: 'denied' });
    expect(events[0]?.reason).toMatch(/^client_closed_request/);
  });

  it('audits 499, not 200, when the client hung up while a search blocked the event loop', async () => {
    const id = newRequestId();
    const req = slowpokeSearch({ 'x-request-id': id });
    req.on('error', () => undefined);
    // The client leaves 100 ms into a search that holds the event loop for 300 ms: the gateway
    // only sees it leave after the answer is ready.
    store.slow.set('slowpoke', { delayMs: 300, honoursSignal: false, blocksLoop: true });
    req.end(JSON.stringify(query));
    setTimeout(() => req.destroy(), 100);
    await new Promise((r) => setTimeout(r, 700));
    store.slow.clear();
    const events = await auditOf(gw, id);
    expect(events.map((e) => [e.status, e.reason])).toEqual([[499, 'client_closed_request']]);
  });

  it('refuses a tenant over its in-flight cap with 429 inflight_cap and Retry-After, and audits it', async () => {
    store.slow.set('slowpoke', { delayMs: 250, honoursSignal: false });
    const before = store.settled;
    const id = newRequestId();
    const send = (requestId?: string) =>
      gw.http
        .post('/v1/search')
        .set({ ...as('slowpoke', 'reader'), ...(requestId ? { 'x-request-id': requestId } : {}) })
        .send(query);
    // A supertest request is sent when it is awaited: `then` starts these two now.
    const first = [send(), send()].map((test) => test.then((r) => r));
    await new Promise((r) => setTimeout(r, 60));
    const third = await send(id);
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBe('1');
    expect(third.body).toMatchObject({ status: 429, reason: 'inflight_cap' });
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    const events = await auditOf(gw, id);
    expect(events.map((e) => [e.status, e.outcome])).toEqual([[429, 'denied']]);
    await settle(before + 2);
    // Every slot came back: the tenant is served again.
    expect((await send()).status).toBe(200);
  });

  it('does not count a tenant’s in-flight requests against its neighbour', async () => {
    store.slow.set('slowpoke', { delayMs: 250, honoursSignal: false });
    const before = store.settled;
    const busy = [1, 2].map(() =>
      gw.http
        .post('/v1/search')
        .set(as('slowpoke', 'reader'))
        .send(query)
        .then((r) => r),
    );
    await new Promise((r) => setTimeout(r, 60));
    // As many at once as the cap allows the neighbour itself (2), while slowpoke holds its two.
    const quiet = await Promise.all(
      [1, 2].map(() => gw.http.post('/v1/search').set(as('quiet', 'reader')).send(query)),
    );
    expect(quiet.map((r) => r.status)).toEqual([200, 200]);
    await Promise.all(busy);
    await settle(before + 2);
  });

  it('gives the slot back when the client hangs up, once the work has settled', async () => {
    store.slow.set('slowpoke', { delayMs: 150, honoursSignal: false });
    const before = store.settled;
    for (let i = 0; i < 2; i++) {
      const req = slowpokeSearch();
      req.on('error', () => undefined);
      req.end(JSON.stringify(query));
      setTimeout(() => req.destroy(), 30);
    }
    await settle(before + 2);
    store.slow.clear();
    const again = await gw.http.post('/v1/search').set(as('slowpoke', 'reader')).send(query);
    expect(again.status).toBe(200);
  });
});
