import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricsService, UnavailableError } from '@vecgate/core';
import { AUDIT_OPTIONS, AuditEvent, AuditOptions } from '../audit.types';
import { AuditStore } from './audit.store';
import { FairQueue } from './fair-queue';

interface Pending {
  readonly event: AuditEvent;
  readonly committed: () => void;
  attempts: number;
}

/** After this many failed commits an event alone in its batch is logged in full and set aside. */
const MAX_ATTEMPTS_ALONE = 5;

/**
 * Whose backlog an event belongs to: its tenant (by the verified id, which every event of a
 * tenant token carries, resolved or refused before resolution), else its platform subject,
 * else (a refused, unauthenticated request) its client address.
 */
export function auditLaneOf(
  event: Pick<AuditEvent, 'tenantId' | 'tenantUid' | 'subject' | 'ip'>,
): string {
  if (event.tenantId !== undefined) return `tenant:${event.tenantId}`;
  if (event.tenantUid !== undefined) return `tenant-uid:${event.tenantUid}`;
  if (event.subject !== undefined) return `subject:${event.subject}`;
  return `address:${event.ip}`;
}

/** The share of the queue one lane may fill before its own writers wait for room. */
export function laneMaxOf(queueMax: number): number {
  return Math.max(1, Math.floor(queueMax / 4));
}

/**
 * Group commit for audit events. Events queue in memory and are written in batches, one
 * transaction each; whoever waits for an event is released when its batch commits. The queue
 * is shared fairly: one lane per tenant, and each batch takes the lanes in turn, so a
 * tenant's backlog delays another tenant's event by at most one batch. The queue is bounded,
 * in total and per lane (a quarter of it): when the store falls behind, `write` waits for
 * room in its own lane (back-pressure on whoever fills it) instead of dropping. A failed
 * batch goes back to the front of its lanes and is retried with back-off.
 */
@Injectable()
export class AuditWriter {
  private readonly logger = new Logger(AuditWriter.name);
  private readonly queue = new FairQueue<Pending>((p) => auditLaneOf(p.event));
  /** Events taken into the batch being committed; still counted against the bound. */
  private inFlight = 0;
  private readonly laneMax: number;
  private flushing = false;
  private scheduled = false;
  private failures = 0;
  private stopped = false;
  private readonly commitListeners: ((events: readonly AuditEvent[]) => void)[] = [];
  private roomWaiters: { readonly lane: string; readonly wake: () => void }[] = [];
  private readonly depth;
  private readonly written;
  private readonly commitFailures;
  private readonly unstorable;

  constructor(
    private readonly store: AuditStore,
    @Inject(AUDIT_OPTIONS) private readonly options: AuditOptions,
    metrics: MetricsService,
  ) {
    this.laneMax = laneMaxOf(options.queueMax);
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
    return this.queue.size + this.inFlight;
  }

  /** Called with each batch once it is committed (the alert sink wakes on insider alerts). */
  onCommit(listener: (events: readonly AuditEvent[]) => void): void {
    this.commitListeners.push(listener);
  }

  /** True while an event of this tenant, subject or address would be queued without waiting. */
  hasRoomFor(event: Pick<AuditEvent, 'tenantId' | 'tenantUid' | 'subject' | 'ip'>): boolean {
    return this.hasRoom(auditLaneOf(event));
  }

  private hasRoom(lane: string): boolean {
    return this.pending < this.options.queueMax && this.queue.sizeOf(lane) < this.laneMax;
  }

  /**
   * Queues an event and, with `waitForCommit`, resolves once it is committed. The wait, for
   * room in a full queue and then for the commit, is bounded by `commitTimeoutMs`: past it the
   * call rejects with 503, and the event is still queued and written when the store recovers.
   */
  async write(event: AuditEvent, waitForCommit = true): Promise<void> {
    const deadline = Date.now() + this.options.commitTimeoutMs;
    const lane = auditLaneOf(event);
    let timedOut = false;
    while (!this.hasRoom(lane) && !timedOut) {
      timedOut = !(await this.roomBefore(lane, deadline));
    }
    const committed = new Promise<void>((resolve) => {
      this.queue.push({ event, committed: resolve, attempts: 0 });
    });
    this.depth.set(this.pending);
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

  /** Waits for room in the queue and the lane; false when the deadline passed first. */
  private roomBefore(lane: string, deadline: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waiter = {
        lane,
        wake: (): void => {
          clearTimeout(timer);
          resolve(true);
        },
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
    while (this.pending > 0 || this.flushing) {
      this.schedule();
      await sleep(5);
    }
  }

  /** Commits what is queued (for at most 10 s), then stops; called by AuditService at shutdown. */
  async shutdown(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((this.pending > 0 || this.flushing) && Date.now() < deadline) {
      this.schedule();
      await sleep(10);
    }
    this.stopped = true;
    if (this.pending > 0) {
      this.logger.error(`${this.pending} audit events were not committed at shutdown`);
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
    const gather = this.options.mode === 'async' && this.queue.size < this.options.batchMax;
    if (gather && this.options.flushIntervalMs > 0)
      setTimeout(run, this.options.flushIntervalMs).unref();
    else setImmediate(run);
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.size === 0) return;
    this.flushing = true;
    // After a failure, commit one event at a time so one bad event cannot hold back the rest.
    const batch = this.queue.take(this.failures > 0 ? 1 : this.options.batchMax);
    this.inFlight = batch.length;
    let failed = false;
    try {
      const events = batch.map((p) => p.event);
      await this.store.insert(events, { alertOutbox: this.options.alertWebhookUrl !== undefined });
      this.failures = 0;
      for (const listener of this.commitListeners) listener(events);
      this.written.inc(batch.length);
      for (const p of batch) p.committed();
    } catch (err) {
      failed = true;
      this.failures++;
      this.commitFailures.inc();
      for (const p of batch) p.attempts++;
      const head = batch[0] as Pending;
      this.logger.error(
        `audit commit of ${batch.length} events failed (attempt ${head.attempts}): ${(err as Error).message}`,
      );
      if (batch.length === 1 && head.attempts >= MAX_ATTEMPTS_ALONE) {
        this.setAside(head, err as Error);
        failed = false;
      } else {
        this.queue.putBack(batch);
        this.inFlight = 0;
        await sleep(Math.min(5000, 50 * 2 ** Math.min(this.failures, 7)));
      }
    } finally {
      if (!failed) this.inFlight = 0;
      this.flushing = false;
      this.depth.set(this.pending);
      this.releaseRoom();
      if (this.queue.size > 0) this.schedule();
    }
  }

  /**
   * An event the store refuses again and again (while others commit) is written to the log in
   * full, counted, and taken off the queue, rather than blocking every later event.
   */
  private setAside(pending: Pending, err: Error): void {
    this.unstorable.inc();
    this.logger.error(
      { auditEvent: pending.event, err: err.message },
      'audit event refused by the store; kept in this log only',
    );
    this.failures = 0;
    pending.committed();
  }

  /** Wakes, oldest first, every waiter whose lane has room now; each checks again. */
  private releaseRoom(): void {
    if (this.pending >= this.options.queueMax) return;
    const waking = this.roomWaiters.filter((w) => this.queue.sizeOf(w.lane) < this.laneMax);
    if (waking.length === 0) return;
    this.roomWaiters = this.roomWaiters.filter((w) => !waking.includes(w));
    for (const w of waking) w.wake();
  }
}
