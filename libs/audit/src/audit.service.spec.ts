import { Logger } from '@nestjs/common';
import { MetricsService } from '@vecgate/core';
import { AlertSink } from './alerts/alert-sink';
import { AuditService, AuditInput } from './audit.service';
import { AuditOptions } from './audit.types';
import { AuditStore } from './store/audit.store';
import { AuditWriter } from './store/audit.writer';

const OPTIONS: AuditOptions = {
  mode: 'async',
  queueMax: 100,
  batchMax: 10,
  commitTimeoutMs: 1000,
  unauthenticatedPerSecond: 100,
  flushIntervalMs: 0,
  alertRetries: 0,
  alertQuota: 10,
  alertWindowMs: 1000,
  log: true,
};

function input(requestId: string): AuditInput {
  return {
    requestId,
    subject: 'reader-1',
    tenantUid: 'a'.repeat(32),
    tenantId: 'acme',
    action: 'vectors.search',
    resource: 'POST /v1/search',
    outcome: 'allowed',
    status: 200,
    resultCount: 3,
    latencyMs: 0.4,
    ip: '127.0.0.1',
    severity: 'info',
  };
}

/** The service over a writer that queues nothing; only its log lines are looked at here. */
function service(options: AuditOptions = OPTIONS): AuditService {
  const writer = {
    onCommit: () => undefined,
    write: () => Promise.resolve(),
    drain: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  } as unknown as AuditWriter;
  const sink = { wake: () => undefined, send: () => undefined, idle: () => Promise.resolve() };
  const store = {} as AuditStore;
  return new AuditService(
    writer,
    store,
    sink as unknown as AlertSink,
    options,
    new MetricsService(),
  );
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AuditService log lines', () => {
  let lines: unknown[];
  beforeEach(() => {
    lines = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => {
      lines.push(message);
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('writes each event’s line after the turn that recorded it, in order, once', async () => {
    const audit = service();
    void audit.record(input('r1'));
    void audit.record(input('r2'));
    expect(lines).toEqual([]);
    await turn();
    const logged = lines.map((l) => (l as { audit: { requestId: string } }).audit.requestId);
    expect(logged).toEqual(['r1', 'r2']);
    await turn();
    expect(lines).toHaveLength(2);
  });

  it('writes the pending lines at flush and at shutdown', async () => {
    const audit = service();
    void audit.record(input('r1'));
    await audit.flush();
    expect(lines).toHaveLength(1);
    void audit.record(input('r2'));
    await audit.onApplicationShutdown();
    expect(lines).toHaveLength(2);
  });

  it('writes no line when audit logging is off', async () => {
    const audit = service({ ...OPTIONS, log: false });
    void audit.record(input('r1'));
    await turn();
    expect(lines).toEqual([]);
  });
});

describe('AuditService.recordAfterAnswer', () => {
  /** The service over a writer that remembers what it was given and whether it has room. */
  function recording(options: AuditOptions = OPTIONS) {
    const written: string[] = [];
    const writer = {
      room: true,
      onCommit: () => undefined,
      hasRoomFor: () => writer.room,
      write: (event: { requestId: string }) => {
        written.push(event.requestId);
        return Promise.resolve();
      },
      drain: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const sink = { wake: () => undefined, send: () => undefined, idle: () => Promise.resolve() };
    const audit = new AuditService(
      writer as unknown as AuditWriter,
      {} as AuditStore,
      sink as unknown as AlertSink,
      { ...options, log: false },
      new MetricsService(),
    );
    return { audit, writer, written };
  }

  it('queues the event once the turn is over, in order, and only once', async () => {
    const { audit, written } = recording();
    const first = audit.recordAfterAnswer(input('r1'));
    audit.recordAfterAnswer(input('r2'));
    expect(first).toBeDefined();
    expect(written).toEqual([]);
    await turn();
    expect(written).toEqual(['r1', 'r2']);
    first?.();
    await turn();
    expect(written).toEqual(['r1', 'r2']);
  });

  it('queues it at once when asked, before an event that must follow it', async () => {
    const { audit, written } = recording();
    const now = audit.recordAfterAnswer(input('answer'));
    now?.();
    void audit.record(input('correction'));
    await turn();
    expect(written).toEqual(['answer', 'correction']);
  });

  it('queues what waits at flush and at shutdown', async () => {
    const { audit, written } = recording();
    audit.recordAfterAnswer(input('r1'));
    await audit.flush();
    expect(written).toEqual(['r1']);
    audit.recordAfterAnswer(input('r2'));
    await audit.onApplicationShutdown();
    expect(written).toEqual(['r1', 'r2']);
  });

  it('leaves the event to the caller in durable mode, or when its lane is full', () => {
    const durable = recording({ ...OPTIONS, mode: 'durable' });
    expect(durable.audit.recordAfterAnswer(input('r1'))).toBeUndefined();
    const full = recording();
    full.writer.room = false;
    expect(full.audit.recordAfterAnswer(input('r2'))).toBeUndefined();
    expect([...durable.written, ...full.written]).toEqual([]);
  });
});
