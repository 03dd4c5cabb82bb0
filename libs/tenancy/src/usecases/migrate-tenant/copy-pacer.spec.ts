import { ManualClock } from '../../../../../test/support/manual-clock';
import { CopyPacer, PACE_CREDIT_MS } from './copy-pacer';

const PAGE = 100;
const RATE = 5_000;

/** Copies `pages` pages of PAGE records, each taking `pageMs`, with a stall before `stallAt`. */
async function run(pages: number, pageMs: number, stall?: { at: number; ms: number }) {
  const clock = new ManualClock();
  const pacer = new CopyPacer(RATE, new AbortController().signal, clock);
  const ends: number[] = [];
  for (let p = 0; p < pages; p++) {
    if (stall && p === stall.at) clock.at += stall.ms;
    clock.at += pageMs;
    ends.push(clock.at);
    await pacer.after(PAGE);
  }
  return ends;
}

/** The most records finished within any window of `windowMs`. */
function busiestWindow(ends: readonly number[], windowMs: number): number {
  let most = 0;
  for (let i = 0; i < ends.length; i++) {
    const inside = ends.filter((t) => t >= (ends[i] ?? 0) && t < (ends[i] ?? 0) + windowMs);
    most = Math.max(most, inside.length * PAGE);
  }
  return most;
}

describe('CopyPacer', () => {
  it('copies at the configured rate when the backend is faster', async () => {
    const ends = await run(200, 1);
    const seconds = ((ends.at(-1) ?? 0) - (ends[0] ?? 0)) / 1000;
    expect((199 * PAGE) / seconds).toBeCloseTo(RATE, -2);
  });

  it('does not catch up in a burst after a stall', async () => {
    const ends = await run(300, 1, { at: 50, ms: 10_000 });
    const bound = (RATE * (1_000 + PACE_CREDIT_MS)) / 1_000 + PAGE;
    expect(busiestWindow(ends, 1_000)).toBeLessThanOrEqual(bound);
  });

  it('goes no faster than the backend allows, without waiting in between', async () => {
    const clock = new ManualClock();
    const pacer = new CopyPacer(RATE, new AbortController().signal, clock);
    for (let p = 0; p < 10; p++) {
      clock.at += 50; // a page of 100 taking 50 ms: 2,000 records/s, under the rate
      await pacer.after(PAGE);
    }
    expect(clock.at).toBe(500);
  });

  it('stops waiting when the copy is aborted', async () => {
    const stop = new AbortController();
    const pacer = new CopyPacer(1, stop.signal);
    const waiting = pacer.after(1_000);
    stop.abort();
    await expect(waiting).rejects.toThrow(/abort/i);
  });
});
