import { setNewest } from '@vecgate/core';

interface Bucket {
  tokens: number;
  at: number;
}

/** Keys kept at most; the least recently used bucket is forgotten first (it refills anyway). */
const DEFAULT_MAX_KEYS = 100_000;

/**
 * Token bucket per key (a tenant uid, a client address); answers how long to wait when empty.
 * The number of buckets is bounded, so a caller spreading requests over many addresses cannot
 * grow the map without limit: a forgotten bucket is one that would have been full again, or
 * close to it, for the least recently seen key.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {}

  get enabled(): boolean {
    return this.perSecond > 0;
  }

  /** Returns 0 when admitted (one token spent), otherwise the seconds to wait. */
  take(key: string, now = Date.now()): number {
    const bucket = this.refilled(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.waitFor(bucket);
  }

  /**
   * Spends a token for a request that was answered without passing `take` (a refusal): the
   * bucket empties at the rate the caller is refused, and its next requests wait.
   */
  charge(key: string, now = Date.now()): void {
    const bucket = this.refilled(key, now);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
  }

  private refilled(key: string, now: number): Bucket {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.perSecond,
    );
    bucket.at = now;
    // Re-inserted, so the map's order is least recently used first.
    setNewest(this.buckets, key, bucket, this.maxKeys);
    return bucket;
  }

  private waitFor(bucket: Bucket): number {
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }
}

/**
 * The budget key of a client address: IPv4 as is, IPv6 by its /64 prefix (one subscriber
 * usually holds a whole /64, so per-address keys would be free to multiply), IPv4-mapped IPv6
 * as the IPv4 address it carries.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1] as string;
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
