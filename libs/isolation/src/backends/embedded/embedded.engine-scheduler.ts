import { performance } from 'node:perf_hooks';

/**
 * A unit of engine work. It runs until `clock.over()` turns true at a point where it can pause,
 * then yields; the scheduler resumes it on a later turn. A job waiting for something outside
 * the thread (another connection's reader) yields a number instead: it is resumed no sooner
 * than that many milliseconds later, without taking a turn meanwhile. It must never hold a
 * SQLite statement iterator open across a yield (another job may use the same connection
 * meanwhile).
 */
export type Job<T> = Generator<void | number, T, void>;

/** Runs `resume` after `ms` milliseconds (never synchronously); the returned function calls it off. */
export type PauseTimer = (ms: number, resume: () => void) => () => void;

const realTimer: PauseTimer = (ms, resume) => {
  const timer = setTimeout(resume, ms);
  return () => clearTimeout(timer);
};

/** Tells a job whether its slice is spent. */
export interface SliceClock {
  over(): boolean;
}

export type Outcome =
  | { readonly kind: 'done'; readonly value: unknown }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'cancelled'; readonly ran: boolean };

interface Entry {
  readonly id: number;
  readonly tenant: string;
  readonly start: () => Job<unknown>;
  readonly settle: (outcome: Outcome) => void;
  job?: Job<unknown>;
  cancelled: boolean;
  /** Set while the job waits out a pause it asked for; calling it ends the pause early. */
  unpause?: () => void;
}

/**
 * Runs jobs in slices: one FIFO queue per tenant, one job at a time per tenant (so a tenant's
 * writes apply in the order they were sent), tenants served round-robin, a newly active tenant
 * first. A tenant's backlog therefore delays another tenant's job by at most the slice that
 * was running when that job arrived. Between
 * slices the thread returns to its event loop, where new jobs and cancellations arrive.
 */
export class EngineScheduler {
  private readonly queues = new Map<string, Entry[]>();
  private readonly ring: string[] = [];
  /** Tenants that became active since the last turn, at the head of the ring. */
  private fresh = 0;
  private readonly byId = new Map<number, Entry>();
  private scheduled = false;
  private sliceEnd = 0;
  /** The clock every job of this scheduler checks; a slice starts with each turn. */
  readonly clock: SliceClock = { over: () => performance.now() >= this.sliceEnd };

  constructor(
    private readonly sliceMs: number,
    private readonly defer: (turn: () => void) => void = setImmediate,
    private readonly pauseTimer: PauseTimer = realTimer,
  ) {}

  get pending(): number {
    return this.byId.size;
  }

  submit(
    id: number,
    tenant: string,
    start: () => Job<unknown>,
    settle: (outcome: Outcome) => void,
  ): void {
    const entry: Entry = { id, tenant, start, settle, cancelled: false };
    this.byId.set(id, entry);
    let queue = this.queues.get(tenant);
    if (!queue) {
      queue = [];
      this.queues.set(tenant, queue);
      // A tenant that was idle goes before those that already had a slice, so it waits at
      // most for the slice running when it arrived.
      this.ring.splice(this.fresh++, 0, tenant);
    }
    queue.push(entry);
    this.wake();
  }

  /**
   * A job that has not started is dropped without running; a running one stops at its next
   * pause. A job that already finished (a committed write) keeps its result.
   */
  cancel(id: number): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    if (entry.job) {
      entry.cancelled = true;
      // A paused job stops now rather than when its pause ends.
      entry.unpause?.();
      return;
    }
    const queue = this.queues.get(entry.tenant);
    if (queue) queue.splice(queue.indexOf(entry), 1);
    this.finish(entry, { kind: 'cancelled', ran: false });
    this.forget(entry.tenant);
  }

  private wake(): void {
    if (this.scheduled || this.ring.length === 0) return;
    this.scheduled = true;
    this.defer(() => this.turn());
  }

  /** One slice of time, shared round-robin: small jobs finish and leave it to the next tenant. */
  private turn(): void {
    this.scheduled = false;
    this.fresh = 0;
    this.sliceEnd = performance.now() + this.sliceMs;
    do {
      const tenant = this.ring.shift();
      if (tenant === undefined) break;
      const paused = this.step(tenant);
      if (!paused && this.queues.has(tenant)) this.ring.push(tenant);
    } while (!this.clock.over());
    this.wake();
  }

  /** Runs one step of the tenant's current job; true when the job asked for a pause. */
  private step(tenant: string): boolean {
    const queue = this.queues.get(tenant);
    const entry = queue?.[0];
    if (!queue || !entry) return false;
    const outcome = this.advance(tenant, entry);
    if (outcome === 'paused') return true;
    if (!outcome) return false;
    queue.shift();
    this.finish(entry, outcome);
    this.forget(tenant);
    return false;
  }

  /** One step of a job: its outcome once it ends, `paused`, or nothing while it goes on. */
  private advance(tenant: string, entry: Entry): Outcome | 'paused' | undefined {
    try {
      // Cancelled while it sat at a pause: it stops there rather than resume.
      if (entry.job && entry.cancelled) return stopped(entry.job);
      entry.job ??= entry.start();
      const result = entry.job.next();
      if (result.done) return { kind: 'done', value: result.value };
      if (entry.cancelled) return stopped(entry.job);
      if (typeof result.value !== 'number') return undefined;
      this.pause(tenant, entry, result.value);
      return 'paused';
    } catch (error) {
      return { kind: 'failed', error };
    }
  }

  /**
   * Takes the tenant out of the ring until the pause ends: its later jobs keep waiting behind
   * this one (their order holds), other tenants' jobs run, and no turn is spent on it.
   */
  private pause(tenant: string, entry: Entry, ms: number): void {
    const end = () => {
      if (entry.unpause !== end) return;
      entry.unpause = undefined;
      stop();
      this.ring.push(tenant);
      this.wake();
    };
    entry.unpause = end;
    const stop = this.pauseTimer(Math.max(0, ms), end);
  }

  private finish(entry: Entry, outcome: Outcome): void {
    this.byId.delete(entry.id);
    entry.settle(outcome);
  }

  private forget(tenant: string): void {
    const queue = this.queues.get(tenant);
    if (queue && queue.length > 0) return;
    this.queues.delete(tenant);
    const at = this.ring.indexOf(tenant);
    if (at >= 0) this.ring.splice(at, 1);
  }
}

function stopped(job: Job<unknown>): Outcome {
  job.return(undefined);
  return { kind: 'cancelled', ran: true };
}
