import { TooManyRequestsError, UnavailableError } from '@vecgate/core';
import type { Gauge } from 'prom-client';
import { getHeapStatistics } from 'node:v8';

/** A body this small is admitted from a reserve of its own once the budget is spent. */
export const SMALL_BODY_BYTES = 64 * 1024;

/**
 * The default budget: an eighth of V8's heap limit, and at least four bodies of the largest
 * size. A body is held as a string while it arrives and as parsed values while it is served;
 * both live on the heap, whose limit ends the process when it is reached.
 */
export function defaultBodyBudget(maxBodyBytes: number): number {
  return Math.max(4 * maxBodyBytes, Math.floor(getHeapStatistics().heap_size_limit / 8));
}

/**
 * Bytes of request bodies being received and served at once, reserved from the declared
 * `content-length` (or the largest body allowed, for a body sent in chunks) once the request
 * is authenticated and before its body is read, and given back when it ends. Without it,
 * clients that each send a large body and hold its last byte kept all of them on the heap
 * until it ran out, and the process with it.
 *
 * - One tenant (or the platform's principals together) holds at most a quarter of the budget:
 *   past it, its own requests get 429 and others are not affected.
 * - Past the whole budget, a large body gets 503; a small one (search, fetch, most writes) is
 *   still admitted from a reserve of an eighth of the budget, so held large bodies do not
 *   stop the ordinary traffic of other tenants.
 */
export class BodyBudget {
  private total = 0;
  private readonly held = new Map<string, number>();
  readonly perOwner: number;
  private readonly reserve: number;

  /** `gauge`, when given, shows the bytes reserved (`vecgate_request_body_bytes_in_flight`). */
  constructor(
    readonly capacity: number,
    private readonly gauge?: Gauge,
  ) {
    this.perOwner = Math.floor(capacity / 4);
    this.reserve = Math.floor(capacity / 8);
  }

  /** Bytes reserved now, by all requests. */
  get inFlight(): number {
    return this.total;
  }

  /**
   * Reserves `bytes` for `owner`'s request; the function it returns gives them back (calling it
   * again does nothing). Throws 429 past the owner's share, 503 past the budget.
   */
  admit(owner: string, bytes: number): () => void {
    const mine = this.held.get(owner) ?? 0;
    if (mine + bytes > this.perOwner) {
      const error = new TooManyRequestsError(
        `this tenant's request bodies in flight would pass ${mib(this.perOwner)} ` +
          '(BODY_BYTES_IN_FLIGHT / 4); retry once its earlier requests are answered',
        1,
      );
      error.extras.reason = 'body_budget';
      throw error;
    }
    const room = bytes <= SMALL_BODY_BYTES ? this.capacity + this.reserve : this.capacity;
    if (this.total + bytes > room) {
      throw new UnavailableError(
        `request bodies in flight would pass ${mib(this.capacity)} (BODY_BYTES_IN_FLIGHT); ` +
          'retry shortly',
        1,
        'bodies_in_flight',
      );
    }
    this.total += bytes;
    this.gauge?.set(this.total);
    this.held.set(owner, mine + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= bytes;
      this.gauge?.set(this.total);
      const left = (this.held.get(owner) ?? bytes) - bytes;
      if (left > 0) this.held.set(owner, left);
      else this.held.delete(owner);
    };
  }
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}
