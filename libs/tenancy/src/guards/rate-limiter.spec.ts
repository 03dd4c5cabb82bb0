import { addressKey, RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('is disabled when no rate is configured', () => {
    expect(new RateLimiter(0, 10).enabled).toBe(false);
    expect(new RateLimiter(5, 10).enabled).toBe(true);
  });

  it('admits a full burst at once, then refuses with the seconds to wait', () => {
    const limiter = new RateLimiter(1, 3);
    expect([0, 0, 0].map(() => limiter.take('a', 1000))).toEqual([0, 0, 0]);
    expect(limiter.take('a', 1000)).toBe(1);
  });

  it('refills at the configured rate and admits again once a token has accrued', () => {
    const limiter = new RateLimiter(2, 1);
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 100)).toBeGreaterThan(0);
    expect(limiter.take('a', 499)).toBeGreaterThan(0);
    expect(limiter.take('a', 500)).toBe(0);
    expect(limiter.take('a', 500)).toBeGreaterThan(0);
  });

  it('answers a Retry-After that is enough: waiting that long is admitted', () => {
    for (const perSecond of [0.25, 0.5, 1, 3, 100]) {
      const limiter = new RateLimiter(perSecond, 1);
      expect(limiter.take('a', 0)).toBe(0);
      const wait = limiter.take('a', 0);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBe(Math.max(1, Math.ceil(1 / perSecond)));
      expect(limiter.take('a', wait * 1000)).toBe(0);
    }
  });

  it('does not charge refused requests', () => {
    const limiter = new RateLimiter(1, 1);
    limiter.take('a', 0);
    for (let i = 0; i < 100; i++) expect(limiter.take('a', 10)).toBe(1);
    expect(limiter.take('a', 1000)).toBe(0);
  });

  it('keeps one bucket per key, so one tenant cannot use up another tenant’s rate', () => {
    const limiter = new RateLimiter(1, 2);
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('b', 0)).toBe(0);
    expect(limiter.take('b', 0)).toBe(0);
    expect(limiter.take('b', 0)).toBeGreaterThan(0);
  });

  it('never saves up more than the burst, however long a key was idle', () => {
    const limiter = new RateLimiter(10, 5);
    limiter.take('a', 0);
    let admitted = 0;
    for (let i = 0; i < 50; i++) if (limiter.take('a', 3_600_000) === 0) admitted++;
    expect(admitted).toBe(5);
  });

  it('holds the long-run rate to burst + rate × time', () => {
    const limiter = new RateLimiter(5, 5);
    let admitted = 0;
    for (let t = 0; t <= 10_000; t += 10) if (limiter.take('a', t) === 0) admitted++;
    expect(admitted).toBeGreaterThanOrEqual(54);
    expect(admitted).toBeLessThanOrEqual(55);
  });
});

describe('RateLimiter.charge', () => {
  it('spends a token for a refusal, so the sender’s next requests wait', () => {
    const limiter = new RateLimiter(1, 3);
    for (let i = 0; i < 3; i++) limiter.charge('a', 0);
    expect(limiter.take('a', 0)).toBe(1);
    expect(limiter.take('b', 0)).toBe(0);
  });

  it('never runs a bucket below empty, so a refused flood does not lock its sender out for longer than one refill', () => {
    const limiter = new RateLimiter(2, 2);
    for (let i = 0; i < 1000; i++) limiter.charge('a', 0);
    expect(limiter.take('a', 499)).toBeGreaterThan(0);
    expect(limiter.take('a', 500)).toBe(0);
  });
});

describe('RateLimiter key bound', () => {
  it('keeps at most maxKeys buckets, forgetting the least recently used', () => {
    const limiter = new RateLimiter(1, 1, 3);
    for (const key of ['a', 'b', 'c']) limiter.take(key, 0);
    limiter.take('a', 0); // a is now the most recently used
    limiter.take('d', 0); // b, the least recently used, is forgotten
    expect(limiter.take('a', 0)).toBe(1);
    expect(limiter.take('b', 0)).toBe(0);
  });
});

describe('addressKey', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('keys %s as %s', (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });

  it('keeps two /64 prefixes apart', () => {
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
  });
});
