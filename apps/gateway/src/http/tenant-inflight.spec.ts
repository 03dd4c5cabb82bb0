import { TenantInflight } from './tenant-inflight';

describe('TenantInflight', () => {
  it('refuses a tenant at its cap and never counts it against another tenant', () => {
    const inflight = new TenantInflight(2);
    expect(inflight.tryAcquire('a')).toBe(true);
    expect(inflight.tryAcquire('a')).toBe(true);
    expect(inflight.tryAcquire('a')).toBe(false);
    expect(inflight.tryAcquire('b')).toBe(true);
    inflight.release('a');
    expect(inflight.tryAcquire('a')).toBe(true);
    expect(inflight.inflight('a')).toBe(2);
  });

  it('forgets a tenant whose requests have all settled', () => {
    const inflight = new TenantInflight(1);
    inflight.tryAcquire('a');
    inflight.release('a');
    inflight.release('a');
    expect(inflight.inflight('a')).toBe(0);
    expect(inflight.tryAcquire('a')).toBe(true);
    expect(inflight.tryAcquire('a')).toBe(false);
  });
});
