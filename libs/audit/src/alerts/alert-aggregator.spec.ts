import { AuditEvent } from '../audit.types';
import { AlertAggregator } from './alert-aggregator';
import { AlertMessage, isInsiderAlert } from './alert-lanes';

function attempt(n: number, tenantUid: string, action = 'admin.tenants.get'): AuditEvent {
  return {
    id: `evt-${tenantUid}-${n}`,
    at: 1_700_000_000_000 + n,
    requestId: `req-${n}`,
    subject: `user-of-${tenantUid}`,
    tenantUid,
    tenantId: `id-${tenantUid}`,
    action,
    resource: 'GET /v1/admin/tenants/:id',
    outcome: 'denied',
    status: 403,
    latencyMs: 1,
    ip: '10.0.0.1',
    severity: 'alert',
  };
}

const kinds = (messages: AlertMessage[]) => messages.map((m) => m.type);

describe('AlertAggregator', () => {
  it('sends a sender’s first alerts of a window one by one and folds the rest into one summary', () => {
    const agg = new AlertAggregator({ quota: 3, windowMs: 60_000, queueMax: 1000 });
    for (let n = 0; n < 1000; n++)
      agg.add(attempt(n, 'noisy', n % 2 === 0 ? 'admin.tenants.get' : 'vectors.search'));
    expect(agg.queue.size).toBe(3);
    expect(agg.foldedPending).toBe(997);
    agg.closeWindow();
    const messages = agg.queue.take(100).map((a) => a.message);
    expect(kinds(messages)).toEqual([
      'vecgate.alert',
      'vecgate.alert',
      'vecgate.alert',
      'vecgate.alert.summary',
    ]);
    const summary = messages[3];
    expect(summary).toEqual({
      type: 'vecgate.alert.summary',
      summary: {
        tenantUid: 'noisy',
        tenantId: 'id-noisy',
        subject: 'user-of-noisy',
        ip: '10.0.0.1',
        count: 997,
        firstAt: 1_700_000_000_003,
        lastAt: 1_700_000_000_999,
        actions: { 'vectors.search': 499, 'admin.tenants.get': 498 },
        windowMs: 60_000,
      },
    });
    expect(agg.foldedPending).toBe(0);
  });

  it('counts a tenant’s attempts refused before and after its tenant was resolved against one quota', () => {
    const agg = new AlertAggregator({ quota: 2, windowMs: 1000, queueMax: 1000 });
    for (let n = 0; n < 10; n++) {
      const resolved = attempt(n, 'noisy');
      const { tenantUid: _uid, ...beforeResolution } = resolved;
      agg.add(n % 2 === 0 ? resolved : beforeResolution);
    }
    agg.closeWindow();
    expect(kinds(agg.queue.take(100).map((a) => a.message))).toEqual([
      'vecgate.alert',
      'vecgate.alert',
      'vecgate.alert.summary',
    ]);
  });

  it('starts every quota afresh in the next window', () => {
    const agg = new AlertAggregator({ quota: 2, windowMs: 1000, queueMax: 1000 });
    for (let n = 0; n < 5; n++) agg.add(attempt(n, 'a'));
    agg.closeWindow();
    agg.queue.take(100);
    agg.add(attempt(10, 'a'));
    expect(kinds(agg.queue.take(100).map((a) => a.message))).toEqual(['vecgate.alert']);
  });

  it('gives another sender its own quota, served in turn with the noisy one', () => {
    const agg = new AlertAggregator({ quota: 50, windowMs: 60_000, queueMax: 1000 });
    for (let n = 0; n < 50; n++) agg.add(attempt(n, 'noisy'));
    agg.add(attempt(0, 'quiet'));
    const first = agg.queue.take(2).map((a) => a.message);
    expect(first.map((m) => (m.type === 'vecgate.alert' ? m.event.tenantUid : ''))).toEqual([
      'noisy',
      'quiet',
    ]);
  });

  it('folds instead of discarding when the queue is full, and keeps a summary that does not fit for the next window', () => {
    const agg = new AlertAggregator({ quota: 100, windowMs: 1000, queueMax: 10 });
    for (let n = 0; n < 30; n++) agg.add(attempt(n, 'noisy'));
    expect(agg.queue.size).toBe(10);
    expect(agg.foldedPending).toBe(20);
    agg.closeWindow();
    expect(agg.queue.size).toBe(10);
    expect(agg.foldedPending).toBe(20);
    agg.queue.take(10);
    agg.closeWindow();
    const [summary] = agg.queue.take(10).map((a) => a.message);
    expect(summary).toMatchObject({ type: 'vecgate.alert.summary', summary: { count: 20 } });
  });
});

describe('isInsiderAlert', () => {
  const base = attempt(0, 'x');

  it('puts isolation violations and a cross_tenant_admin’s actions in the insider lane', () => {
    expect(isInsiderAlert({ ...base, action: 'isolation.violation' })).toBe(true);
    const { tenantUid: _u, tenantId: _i, ...platform } = base;
    expect(
      isInsiderAlert({ ...platform, subject: 'ops', action: 'admin.cross_tenant.search' }),
    ).toBe(true);
  });

  it('leaves a tenant token’s attempt on a cross-tenant route, and info events, out of it', () => {
    expect(isInsiderAlert({ ...base, action: 'admin.cross_tenant.search' })).toBe(false);
    expect(isInsiderAlert({ ...base, action: 'isolation.violation', severity: 'info' })).toBe(
      false,
    );
    expect(isInsiderAlert(base)).toBe(false);
  });
});
