import { performance } from 'node:perf_hooks';

/**
 * A unit of engine work. It runs until `clock.over()` turns true at a point where it can pause,
 * then yields; the scheduler resumes it on a later turn. It must never hold a SQLite statement
 * iterator open across a yield (another job may use the same connection meanwhile).
 */
export type Job<T> = Generator<void, T, void>;

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
      this.step(tenant);
      if (this.queues.has(tenant)) this.ring.push(tenant);
    } while (!this.clock.over());
    this.wake();
  }

  private step(tenant: string): void {
    const queue = this.queues.get(tenant);
    const entry = queue?.[0];
    if (!queue || !entry) return;
    let outcome: Outcome | undefined;
    try {
      entry.job ??= entry.start();
      const result = entry.job.next();
      if (result.done) outcome = { kind: 'done', value: result.value };
      else if (entry.cancelled) {
        entry.job.return(undefined);
        outcome = { kind: 'cancelled', ran: true };
      }
    } catch (error) {
      outcome = { kind: 'failed', error };
    }
    if (!outcome) return;
    queue.shift();
    this.finish(entry, outcome);
    this.forget(tenant);
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
