import { Logger } from '@nestjs/common';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { MetricsService, UnavailableError } from '@vecgate/core';
import { AuditEvent, AuditOptions } from '../audit.types';
import { AuditStore } from './audit.store';
import { auditLaneOf, AuditWriter, laneMaxOf } from './audit.writer';

/**
 * A store whose commits the test controls: each `insert` call is recorded as an attempt;
 * it fails while `failuresLeft > 0`, waits while `held` is set, and only then counts the
 * batch as committed.
 */
class FakeStore {
  readonly attempts: AuditEvent[][] = [];
  readonly committed: AuditEvent[] = [];
  readonly batches: number[] = [];
  failuresLeft = 0;
  delayMs = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  onInsert: () => void = () => undefined;

  hold(): void {
    this.gate = new Promise<void>((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.gate = undefined;
    this.openGate?.();
  }

  async insert(events: readonly AuditEvent[]): Promise<void> {
    this.attempts.push([...events]);
    this.onInsert();
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('database is locked');
    }
    if (this.delayMs > 0) await sleep(this.delayMs);
    while (this.gate) await this.gate;
    this.batches.push(events.length);
    this.committed.push(...events);
  }

  asStore(): AuditStore {
    return this as unknown as AuditStore;
  }
}

function event(n: number, tenantUid?: string): AuditEvent {
  return {
    ...(tenantUid === undefined ? {} : { tenantUid }),
    id: `evt-${n}`,
    at: 1_700_000_000_000 + n,
    requestId: `req-${n}`,
    action: 'vectors.search',
    resource: '/v1/search',
    outcome: 'allowed',
    status: 200,
    latencyMs: 1,
    ip: '127.0.0.1',
    severity: 'info',
  };
}

function options(overrides: Partial<AuditOptions> = {}): AuditOptions {
  return {
    mode: 'durable',
    queueMax: 1000,
    batchMax: 100,
    commitTimeoutMs: 10_000,
    unauthenticatedPerSecond: 10,
    flushIntervalMs: 0,
    alertRetries: 0,
    alertQuota: 10,
    alertWindowMs: 60_000,
    log: false,
    ...overrides,
  };
}

async function metric(metrics: MetricsService, name: string): Promise<number> {
  const found = metrics.registry.getSingleMetric(name);
  if (!found) throw new Error(`metric ${name} is not registered`);
  const { values } = await found.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>): { settled: boolean; error?: unknown } {
  const state: { settled: boolean; error?: unknown } = { settled: false };
  promise.then(
    () => (state.settled = true),
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}

function ids(events: readonly AuditEvent[]): string[] {
  return events.map((e) => e.id);
}

describe('AuditWriter', () => {
  let store: FakeStore;
  let metrics: MetricsService;
  const writers: AuditWriter[] = [];

  function writer(overrides: Partial<AuditOptions> = {}): AuditWriter {
    const w = new AuditWriter(store.asStore(), options(overrides), metrics);
    writers.push(w);
    return w;
  }

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    store = new FakeStore();
    metrics = new MetricsService();
    writers.length = 0;
  });

  afterEach(async () => {
    store.failuresLeft = 0;
    store.release();
    for (const w of writers) await w.drain();
  });

  it('commits many concurrent writes in a few batches (group commit), each exactly once', async () => {
    const w = writer({ batchMax: 100 });
    store.delayMs = 5;
    const events = Array.from({ length: 250 }, (_, i) => event(i));
    await Promise.all(events.map((e) => w.write(e)));
    expect(store.attempts.length).toBeLessThanOrEqual(3);
    for (const size of store.batches) expect(size).toBeLessThanOrEqual(100);
    expect(ids(store.committed)).toEqual(ids(events));
    expect(w.pending).toBe(0);
    expect(await metric(metrics, 'vecgate_audit_events_committed_total')).toBe(250);
    expect(await metric(metrics, 'vecgate_audit_queue_depth')).toBe(0);
  });

  it('groups the writes that arrive while a batch is committing into the next batch', async () => {
    const w = writer({ batchMax: 100 });
    store.hold();
    const first = w.write(event(0));
    await ticks(3);
    expect(store.attempts).toHaveLength(1);
    const later = Array.from({ length: 40 }, (_, i) => w.write(event(i + 1)));
    await ticks(5);
    expect(store.attempts).toHaveLength(1);
    store.release();
    await Promise.all([first, ...later]);
    expect(store.batches).toEqual([1, 40]);
    expect(ids(store.committed)).toEqual(ids(Array.from({ length: 41 }, (_, i) => event(i))));
  });

  it('resolves a durable write only after its batch is committed', async () => {
    const w = writer();
    store.hold();
    const state = track(w.write(event(1)));
    await ticks(10);
    await sleep(20);
    expect(store.attempts).toHaveLength(1);
    expect(store.committed).toEqual([]);
    expect(state.settled).toBe(false);
    store.release();
    await w.drain();
    await ticks(2);
    expect(state).toEqual({ settled: true });
    expect(ids(store.committed)).toEqual(['evt-1']);
  });

  it('resolves a write that does not wait for its commit at once, and still commits it', async () => {
    const w = writer();
    store.hold();
    await w.write(event(7), false);
    expect(store.committed).toEqual([]);
    expect(w.pending).toBe(1);
    store.release();
    await w.drain();
    expect(ids(store.committed)).toEqual(['evt-7']);
  });

  it('says whether an event would be queued without waiting, per lane', async () => {
    const w = writer({ queueMax: 4, batchMax: 1 });
    store.hold();
    expect(w.hasRoomFor(event(1))).toBe(true);
    const first = track(w.write(event(1), false));
    // Its lane holds a quarter of the queue: one event; another tenant's lane is free.
    expect(w.hasRoomFor(event(2))).toBe(false);
    expect(w.hasRoomFor(event(3, 'b'.repeat(32)))).toBe(true);
    store.release();
    await w.drain();
    expect(first.settled).toBe(true);
    expect(w.hasRoomFor(event(2))).toBe(true);
  });

  it('applies back-pressure when the queue is full and drops nothing', async () => {
    const queueMax = 5;
    const w = writer({ queueMax, batchMax: 2 });
    let maxPending = 0;
    store.onInsert = () => (maxPending = Math.max(maxPending, w.pending));
    store.hold();
    const events = Array.from({ length: 30 }, (_, i) => event(i));
    const durable = events.slice(0, 20).map((e) => w.write(e));
    const fireAndForget = events.slice(20).map((e) => track(w.write(e, false)));
    await ticks(10);
    await sleep(20);
    // The store is stuck: this writer's lane is full and later writers wait instead of queueing.
    expect(w.pending).toBe(laneMaxOf(queueMax));
    for (const state of fireAndForget) expect(state.settled).toBe(false);
    for (let round = 0; round < 40 && store.committed.length < 30; round++) {
      store.release();
      await ticks(3);
      maxPending = Math.max(maxPending, w.pending);
      store.hold();
      await ticks(3);
      maxPending = Math.max(maxPending, w.pending);
    }
    store.release();
    await Promise.all(durable);
    await w.drain();
    expect(maxPending).toBeLessThanOrEqual(queueMax);
    for (const state of fireAndForget) expect(state).toEqual({ settled: true });
    expect(store.committed).toHaveLength(30);
    expect(new Set(ids(store.committed))).toEqual(new Set(ids(events)));
    for (const size of store.batches) expect(size).toBeLessThanOrEqual(2);
  });

  it('retries a failed batch one event at a time and commits every event exactly once', async () => {
    const w = writer();
    store.failuresLeft = 2;
    const events = [event(1), event(2), event(3)];
    await Promise.all(events.map((e) => w.write(e)));
    expect(store.attempts.map(ids)).toEqual([
      ids(events),
      ids([event(1)]),
      ids([event(1)]),
      ids([event(2), event(3)]),
    ]);
    expect(ids(store.committed)).toEqual(ids(events));
    expect(await metric(metrics, 'vecgate_audit_commit_failures_total')).toBe(2);
    expect(await metric(metrics, 'vecgate_audit_events_committed_total')).toBe(3);
  });

  it('sets aside an event the store keeps refusing, logged in full, while every other event commits', async () => {
    const w = writer();
    const poison = event(99);
    const refusing = {
      committed: [] as AuditEvent[],
      refusals: 0,
      insert(events: readonly AuditEvent[]): Promise<void> {
        if (events.some((e) => e.id === poison.id)) {
          this.refusals++;
          return Promise.reject(new Error('invalid byte sequence'));
        }
        this.committed.push(...events);
        return Promise.resolve();
      },
    };
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const w2 = new AuditWriter(
      refusing as unknown as AuditStore,
      options({ commitTimeoutMs: 60_000 }),
      metrics,
    );
    const others = [event(1), event(2), event(3)];
    await Promise.all([w2.write(poison), ...others.map((e) => w2.write(e))]);
    expect(ids(refusing.committed).sort()).toEqual(ids(others).sort());
    expect(refusing.refusals).toBe(5);
    expect(await metric(metrics, 'vecgate_audit_events_unstorable_total')).toBe(1);
    expect(errors.mock.calls.some((call) => JSON.stringify(call[0]).includes(poison.id))).toBe(
      true,
    );
    errors.mockRestore();
    await w.drain();
  }, 20_000);

  it('bounds the wait for room in a full queue by the commit deadline, and still keeps the event', async () => {
    const w = writer({ queueMax: 1, batchMax: 1, commitTimeoutMs: 50 });
    store.hold();
    const first = w.write(event(1)).catch((e: unknown) => e);
    const started = Date.now();
    const second: unknown = await w.write(event(2)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(second).toBeInstanceOf(UnavailableError);
    expect((second as UnavailableError).status).toBe(503);
    await first;
    store.release();
    await w.drain();
    expect(ids(store.committed)).toEqual(ids([event(1), event(2)]));
  });

  it('answers 503 when a durable commit misses its deadline, and writes the event afterwards', async () => {
    const w = writer({ commitTimeoutMs: 50 });
    store.hold();
    const started = Date.now();
    const err: unknown = await w.write(event(1)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).status).toBe(503);
    expect((err as UnavailableError).extras.retryAfterSeconds).toBeGreaterThan(0);
    expect(store.committed).toEqual([]);
    expect(w.pending).toBe(1);
    store.release();
    await w.drain();
    expect(ids(store.committed)).toEqual(['evt-1']);
  });

  it('answers 503 while the store keeps failing, and writes the event once it recovers', async () => {
    const w = writer({ commitTimeoutMs: 60 });
    store.failuresLeft = 3;
    await expect(w.write(event(1))).rejects.toMatchObject({ status: 503 });
    expect(store.committed).toEqual([]);
    await w.drain();
    expect(ids(store.committed)).toEqual(['evt-1']);
    expect(store.attempts.length).toBe(4);
  });

  it('drains everything queued so far', async () => {
    const w = writer({ batchMax: 7 });
    store.delayMs = 2;
    for (let i = 0; i < 50; i++) void w.write(event(i), false);
    await w.drain();
    expect(w.pending).toBe(0);
    expect(store.committed).toHaveLength(50);
    expect(store.batches.every((n) => n <= 7)).toBe(true);
  });
});

describe('AuditWriter in async mode', () => {
  it('lets events gather for flushIntervalMs and commits them together, each once', async () => {
    const store = new FakeStore();
    const w = new AuditWriter(
      store.asStore(),
      // Wide enough that ten writes a millisecond apart stay inside it on a loaded machine.
      options({ mode: 'async', flushIntervalMs: 300 }),
      new MetricsService(),
    );
    for (let i = 0; i < 10; i++) {
      await w.write(event(i), false);
      await sleep(1);
    }
    expect(store.attempts).toHaveLength(0);
    await sleep(400);
    await w.drain();
    expect(store.batches).toEqual([10]);
    expect(ids(store.committed)).toEqual(ids(Array.from({ length: 10 }, (_, i) => event(i))));
  });
});

describe('AuditWriter shared between tenants', () => {
  let store: FakeStore;
  let w: AuditWriter;

  beforeEach(() => {
    store = new FakeStore();
    w = new AuditWriter(
      store.asStore(),
      options({ queueMax: 10_000, batchMax: 100 }),
      new MetricsService(),
    );
  });

  afterEach(async () => {
    store.release();
    await w.drain();
  });

  it('commits another tenant’s event in the next batch, however long one tenant’s backlog', async () => {
    store.hold();
    const backlog = Array.from({ length: 2_000 }, (_, i) => event(i, 'noisy'));
    for (const e of backlog) void w.write(e, false);
    await ticks(3);
    // The first batch is in the store, held; 1,900 of the noisy tenant's events still wait.
    expect(store.attempts).toHaveLength(1);
    const quiet = w.write(event(9_999, 'quiet'));
    store.release();
    await quiet;
    const batchOfQuiet = store.attempts.findIndex((b) => ids(b).includes('evt-9999'));
    expect(batchOfQuiet).toBe(1);
    // Served in turn with the noisy tenant: second in that batch at the latest.
    expect(ids(store.attempts[1]!).indexOf('evt-9999')).toBeLessThan(2);
    await w.drain();
    expect(store.committed).toHaveLength(2_001);
  });

  it('keeps each tenant’s events in the order written, while serving tenants in turn', async () => {
    store.hold();
    const written = Array.from({ length: 300 }, (_, i) => event(i, `t${i % 3 === 0 ? 'a' : 'b'}`));
    for (const e of written) void w.write(e, false);
    store.release();
    await w.drain();
    for (const tenant of ['ta', 'tb']) {
      const mine = (evts: readonly AuditEvent[]) => ids(evts.filter((e) => e.tenantUid === tenant));
      expect(mine(store.committed)).toEqual(mine(written));
    }
    // After the first (held) batch, each batch takes the two tenants in turn.
    const second = store.attempts[1]!;
    expect(second.slice(0, 4).map((e) => e.tenantUid)).toEqual(['ta', 'tb', 'ta', 'tb']);
  });

  it('makes the tenant that fills its share of the queue wait, not the others, and drops nothing', async () => {
    const small = new AuditWriter(
      store.asStore(),
      options({ queueMax: 100, batchMax: 10 }),
      new MetricsService(),
    );
    store.hold();
    const laneMax = laneMaxOf(100);
    const noisy = Array.from({ length: laneMax + 30 }, (_, i) =>
      track(small.write(event(i, 'noisy'), false)),
    );
    await ticks(5);
    expect(noisy.filter((s) => !s.settled)).toHaveLength(30);
    const quiet = track(small.write(event(500, 'quiet'), false));
    await ticks(2);
    expect(quiet).toEqual({ settled: true });
    expect(small.pending).toBeLessThanOrEqual(100);
    store.release();
    await sleep(20);
    await small.drain();
    for (const s of noisy) expect(s).toEqual({ settled: true });
    expect(store.committed).toHaveLength(laneMax + 31);
  });

  it('puts all of a tenant’s events in one lane, refused before resolution or not, whatever their subject', () => {
    const base = event(1);
    const lanes = new Set([
      auditLaneOf({ ...base, tenantId: 'acme', subject: 'a' }),
      auditLaneOf({ ...base, tenantId: 'acme', tenantUid: 'u1', subject: 'b' }),
    ]);
    expect(lanes.size).toBe(1);
    expect(auditLaneOf({ ...base, tenantId: 'other' })).not.toBe([...lanes][0]);
  });

  it('retries a failed batch first, still in each tenant’s order', async () => {
    store.failuresLeft = 1;
    const written = [event(1, 'a'), event(2, 'b'), event(3, 'a'), event(4, 'b')];
    await Promise.all(written.map((e) => w.write(e)));
    expect(ids(store.attempts[0]!)).toEqual(['evt-1', 'evt-2', 'evt-3', 'evt-4']);
    expect(ids(store.attempts[1]!)).toEqual(['evt-1']);
    for (const tenant of ['a', 'b']) {
      const mine = ids(store.committed.filter((e) => e.tenantUid === tenant));
      expect(mine).toEqual(ids(written.filter((e) => e.tenantUid === tenant)));
    }
  });
});
