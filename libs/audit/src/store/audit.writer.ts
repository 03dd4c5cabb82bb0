import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricsService, UnavailableError } from '@vecgate/core';
import { AUDIT_OPTIONS, AuditEvent, AuditOptions } from '../audit.types';
import { AuditStore } from './audit.store';

interface Pending {
  readonly event: AuditEvent;
  readonly committed: () => void;
  attempts: number;
}

/** After this many failed commits an event alone in its batch is logged in full and set aside. */
const MAX_ATTEMPTS_ALONE = 5;

/**
 * Group commit for audit events. Events queue in memory and are written in batches, one
 * transaction each; whoever waits for an event is released when its batch commits. The queue
 * is bounded: when the store falls behind, `write` waits for room (back-pressure) instead of
 * dropping. A failed batch stays at the head of the queue and is retried with back-off.
 */
@Injectable()
export class AuditWriter {
  private readonly logger = new Logger(AuditWriter.name);
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private failures = 0;
  private stopped = false;
  private roomWaiters: (() => void)[] = [];
  private readonly depth;
  private readonly written;
  private readonly commitFailures;
  private readonly unstorable;

  constructor(
    private readonly store: AuditStore,
    @Inject(AUDIT_OPTIONS) private readonly options: AuditOptions,
    metrics: MetricsService,
  ) {
    this.depth = metrics.gauge('vecgate_audit_queue_depth', 'Audit events waiting to be committed');
    this.written = metrics.counter(
      'vecgate_audit_events_committed_total',
      'Audit events committed to the store',
    );
    this.commitFailures = metrics.counter(
      'vecgate_audit_commit_failures_total',
      'Failed audit batch commits',
    );
    this.unstorable = metrics.counter(
      'vecgate_audit_events_unstorable_total',
      'Audit events the store refused repeatedly, kept in the log only',
    );
  }

  get pending(): number {
    return this.queue.length;
  }

  /**
   * Queues an event and, with `waitForCommit`, resolves once it is committed. The wait, for
   * room in a full queue and then for the commit, is bounded by `commitTimeoutMs`: past it the
   * call rejects with 503, and the event is still queued and written when the store recovers.
   */
  async write(event: AuditEvent, waitForCommit = true): Promise<void> {
    const deadline = Date.now() + this.options.commitTimeoutMs;
    let timedOut = false;
    while (this.queue.length >= this.options.queueMax && !timedOut) {
      timedOut = !(await this.roomBefore(deadline));
    }
    const committed = new Promise<void>((resolve) => {
      this.queue.push({ event, committed: resolve, attempts: 0 });
    });
    this.depth.set(this.queue.length);
    this.schedule();
    if (timedOut) throw this.unavailable();
    if (!waitForCommit) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.unavailable()), Math.max(0, deadline - Date.now()));
    });
    try {
      await Promise.race([committed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private unavailable(): UnavailableError {
    return new UnavailableError('the audit store did not commit in time', 1, 'audit_unavailable');
  }

  /** Waits for room in the queue; false when the deadline passed first. */
  private roomBefore(deadline: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(
        () => {
          this.roomWaiters = this.roomWaiters.filter((w) => w !== waiter);
          resolve(false);
        },
        Math.max(0, deadline - Date.now()),
      );
      this.roomWaiters.push(waiter);
    });
  }

  /** Resolves when everything queued so far is committed (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      this.schedule();
      await sleep(5);
    }
  }

  /** Commits what is queued (for at most 10 s), then stops; called by AuditService at shutdown. */
  async shutdown(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((this.queue.length > 0 || this.flushing) && Date.now() < deadline) {
      this.schedule();
      await sleep(10);
    }
    this.stopped = true;
    if (this.queue.length > 0) {
      this.logger.error(`${this.queue.length} audit events were not committed at shutdown`);
      for (const pending of this.queue)
        this.logger.error({ auditEvent: pending.event }, 'audit event not committed');
    }
  }

  /**
   * Durable mode commits at once (someone waits for each event). Async mode lets events
   * gather for `flushIntervalMs` first: every commit costs an fsync, and at low concurrency
   * committing each event alone spent more CPU than the request it records.
   */
  private schedule(): void {
    if (this.scheduled || this.flushing || this.stopped) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      void this.flush();
    };
    const gather = this.options.mode === 'async' && this.queue.length < this.options.batchMax;
    if (gather && this.options.flushIntervalMs > 0)
      setTimeout(run, this.options.flushIntervalMs).unref();
    else setImmediate(run);
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    // After a failure, commit one event at a time so one bad event cannot hold back the rest.
    const batch = this.queue.slice(0, this.failures > 0 ? 1 : this.options.batchMax);
    try {
      await this.store.insert(batch.map((p) => p.event));
      this.queue = this.queue.slice(batch.length);
      this.failures = 0;
      this.written.inc(batch.length);
      for (const p of batch) p.committed();
    } catch (err) {
      this.failures++;
      this.commitFailures.inc();
      for (const p of batch) p.attempts++;
      const head = batch[0] as Pending;
      this.logger.error(
        `audit commit of ${batch.length} events failed (attempt ${head.attempts}): ${(err as Error).message}`,
      );
      if (batch.length === 1 && head.attempts >= MAX_ATTEMPTS_ALONE)
        this.setAside(head, err as Error);
      else await sleep(Math.min(5000, 50 * 2 ** Math.min(this.failures, 7)));
    } finally {
      this.flushing = false;
      this.depth.set(this.queue.length);
      this.releaseRoom();
      if (this.queue.length > 0) this.schedule();
    }
  }

  /**
   * An event the store refuses again and again (while others commit) is written to the log in
   * full, counted, and taken off the queue, rather than blocking every later event.
   */
  private setAside(pending: Pending, err: Error): void {
    this.queue = this.queue.filter((p) => p !== pending);
    this.unstorable.inc();
    this.logger.error(
      { auditEvent: pending.event, err: err.message },
      'audit event refused by the store; kept in this log only',
    );
    this.failures = 0;
    pending.committed();
  }

  private releaseRoom(): void {
    while (this.roomWaiters.length > 0 && this.queue.length < this.options.queueMax) {
      this.roomWaiters.shift()?.();
    }
  }
}
