import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How far behind its schedule the copy may fall and still catch up at full speed: enough to make
 * up for late timers on a loaded machine, too little for a burst its neighbours would notice.
 */
export const PACE_CREDIT_MS = 100;

/** The time source a pacer reads and waits on (the real one outside tests). */
export interface PaceClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: PaceClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

/**
 * Keeps a copy at `perSecond` records over any window, not only on average since it began: a
 * copy that stalled (held behind the tenant's writes, or a slow backend) resumes at the
 * configured rate instead of copying at full speed until its average is back, so over any
 * window of W ms it copies at most `perSecond × (W + PACE_CREDIT_MS) / 1000` records plus one
 * page.
 */
export class CopyPacer {
  /** When the copy may go on; never allowed to lag the clock by more than the credit. */
  private due: number;

  constructor(
    private readonly perSecond: number,
    private readonly signal: AbortSignal,
    private readonly clock: PaceClock = realClock,
  ) {
    this.due = clock.now();
  }

  /** Called after each page with the records it moved; waits until the next may start. */
  async after(records: number): Promise<void> {
    const now = this.clock.now();
    this.due = Math.max(this.due, now - PACE_CREDIT_MS) + (records / this.perSecond) * 1000;
    const wait = this.due - now;
    if (wait > 0) await this.clock.sleep(wait, this.signal);
  }
}
