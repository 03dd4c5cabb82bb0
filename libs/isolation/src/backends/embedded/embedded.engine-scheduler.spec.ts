import { EngineScheduler, Job, Outcome } from './embedded.engine-scheduler';

/**
 * The scheduler driven by hand: each `turn()` runs one slice. Jobs here pause after every unit
 * of work, so one slice is one unit; what is asserted is the order of events, never timing.
 */
function harness() {
  const turns: (() => void)[] = [];
  /** Pauses asked for by jobs, ended by hand. */
  const pauses: { ms: number; resume: () => void; stopped: boolean }[] = [];
  const scheduler = new EngineScheduler(
    60_000,
    (turn) => turns.push(turn),
    (ms, resume) => {
      const pause = { ms, resume, stopped: false };
      pauses.push(pause);
      return () => {
        pause.stopped = true;
      };
    },
  );
  const events: string[] = [];
  const outcomes = new Map<number, Outcome>();
  let nextId = 1;

  function* units(name: string, count: number): Job<string> {
    for (let i = 1; i <= count; i++) {
      events.push(`${name}:${i}`);
      if (i < count) yield;
    }
    return name;
  }

  /** A job that does one unit, asks for a pause of `ms`, then does a second unit. */
  function* waiting(ms: number): Job<string> {
    events.push('waiting:1');
    yield ms;
    events.push('waiting:2');
    return 'waited';
  }

  return {
    scheduler,
    pauses,
    events,
    outcomes,
    submit(tenant: string, start: () => Job<unknown>): number {
      const id = nextId++;
      scheduler.submit(id, tenant, start, (outcome) => {
        outcomes.set(id, outcome);
        events.push(`settled:${id}`);
      });
      return id;
    },
    units,
    waiting,
    /** Runs one slice; the scheduler asks for the next turn itself while work is left. */
    turn(): boolean {
      const turn = turns.shift();
      turn?.();
      return turn !== undefined;
    },
    drain(): void {
      while (turns.length > 0) turns.shift()?.();
    },
  };
}

/** A slice clock that is spent after every unit: one unit of work per slice. */
function oneUnitPerSlice(h: ReturnType<typeof harness>): void {
  Object.assign(h.scheduler.clock, { over: () => true });
}

describe('EngineScheduler', () => {
  it("runs a newly arrived tenant's job before the next slice of another tenant's long backlog", () => {
    const h = harness();
    oneUnitPerSlice(h);
    const long = h.submit('noisy', () => h.units('noisy-a', 50));
    h.submit('noisy', () => h.units('noisy-b', 50));
    h.turn();
    h.turn();
    const quiet = h.submit('quiet', () => h.units('quiet', 1));
    h.drain();
    const quietDone = h.events.indexOf(`settled:${quiet}`);
    const slicesBetween = h.events
      .slice(h.events.indexOf('noisy-a:2') + 1, quietDone)
      .filter((e) => e.startsWith('noisy'));
    // Arriving after the noisy tenant's second slice, the quiet job runs before its third.
    expect(slicesBetween).toEqual([]);
    expect(h.outcomes.get(quiet)).toEqual({ kind: 'done', value: 'quiet' });
    expect(h.outcomes.get(long)).toEqual({ kind: 'done', value: 'noisy-a' });
  });

  it('serves tenants round-robin, one slice each, while all have work', () => {
    const h = harness();
    oneUnitPerSlice(h);
    for (const tenant of ['a', 'b', 'c']) h.submit(tenant, () => h.units(tenant, 3));
    h.drain();
    const work = h.events.filter((e) => !e.startsWith('settled'));
    expect(work).toEqual(['a:1', 'b:1', 'c:1', 'a:2', 'b:2', 'c:2', 'a:3', 'b:3', 'c:3']);
  });

  it("runs one tenant's jobs one at a time, in the order they were sent", () => {
    const h = harness();
    oneUnitPerSlice(h);
    h.submit('t', () => h.units('first', 3));
    h.submit('t', () => h.units('second', 2));
    h.submit('t', () => h.units('third', 1));
    h.drain();
    const work = h.events.filter((e) => !e.startsWith('settled'));
    expect(work).toEqual(['first:1', 'first:2', 'first:3', 'second:1', 'second:2', 'third:1']);
  });

  it('drops a queued job whose call was cancelled, without running it', () => {
    const h = harness();
    oneUnitPerSlice(h);
    h.submit('t', () => h.units('running', 3));
    h.turn();
    let started = false;
    const queued = h.submit('t', () => {
      started = true;
      return h.units('queued', 1);
    });
    h.scheduler.cancel(queued);
    expect(h.outcomes.get(queued)).toEqual({ kind: 'cancelled', ran: false });
    h.drain();
    expect(started).toBe(false);
    expect(h.events.some((e) => e.startsWith('queued'))).toBe(false);
    expect(h.scheduler.pending).toBe(0);
  });

  it('stops a running job at the pause where it sits once cancelled, and runs nothing more of it', () => {
    const h = harness();
    oneUnitPerSlice(h);
    const id = h.submit('t', () => h.units('long', 100));
    h.turn();
    h.turn();
    h.scheduler.cancel(id);
    h.turn();
    h.drain();
    expect(h.outcomes.get(id)).toEqual({ kind: 'cancelled', ran: true });
    // Cancelled while it sat at its second pause: it is stopped there, not resumed.
    expect(h.events.filter((e) => e.startsWith('long'))).toEqual(['long:1', 'long:2']);
  });

  it('answers a job that committed as committed, even when cancelled during its last step', () => {
    const h = harness();
    let committed = false;
    let id = 0;
    // eslint-disable-next-line require-yield -- one step: the commit
    function* commit(): Job<string> {
      committed = true;
      // The cancellation arrives while the commit runs (from the worker's point of view,
      // before the job returns).
      h.scheduler.cancel(id);
      return 'committed';
    }
    id = h.submit('t', commit);
    h.drain();
    expect(committed).toBe(true);
    expect(h.outcomes.get(id)).toEqual({ kind: 'done', value: 'committed' });
  });

  it("takes no turn while a job waits out its pause, and keeps the tenant's later jobs behind it", () => {
    const h = harness();
    oneUnitPerSlice(h);
    const paused = h.submit('a', () => h.waiting(25));
    h.submit('a', () => h.units('a-later', 1));
    h.submit('b', () => h.units('b', 3));
    h.drain();
    // Nothing was left to turn while `a` paused: b ran to its end, a's later job did not start.
    expect(h.pauses.map((p) => p.ms)).toEqual([25]);
    expect(h.events.filter((e) => !e.startsWith('settled'))).toEqual([
      'waiting:1',
      'b:1',
      'b:2',
      'b:3',
    ]);
    h.pauses[0]?.resume();
    h.drain();
    expect(h.outcomes.get(paused)).toEqual({ kind: 'done', value: 'waited' });
    expect(h.events.filter((e) => !e.startsWith('settled')).slice(4)).toEqual([
      'waiting:2',
      'a-later:1',
    ]);
    expect(h.scheduler.pending).toBe(0);
  });

  it('ends a pause at once when its job is cancelled, and runs nothing more of it', () => {
    const h = harness();
    const id = h.submit('t', () => h.waiting(10_000));
    h.drain();
    h.scheduler.cancel(id);
    expect(h.pauses[0]?.stopped).toBe(true);
    h.drain();
    expect(h.outcomes.get(id)).toEqual({ kind: 'cancelled', ran: true });
    expect(h.events).not.toContain('waiting:2');
    // A pause already ended does nothing when its timer fires after all.
    h.pauses[0]?.resume();
    expect(h.turn()).toBe(false);
  });

  it("reports a job's error as its outcome and goes on with the next job", () => {
    const h = harness();
    // eslint-disable-next-line require-yield -- fails before any pause
    function* broken(): Job<never> {
      throw new Error('constraint failed');
    }
    const bad = h.submit('t', broken);
    const good = h.submit('t', () => h.units('after', 1));
    h.drain();
    expect(h.outcomes.get(bad)).toMatchObject({ kind: 'failed' });
    expect(h.outcomes.get(good)).toEqual({ kind: 'done', value: 'after' });
  });
});
