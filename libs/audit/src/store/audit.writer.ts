import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricsService, UnavailableError } from '@vecgate/core';
import { AUDIT_OPTIONS, AuditEvent, AuditOptions } from '../audit.types';
import { AuditStore } from './audit.store';

interface Pending {
  readonly event: AuditEvent;
  readonly committed: () => void;
}

/**
 * Group commit for audit events. Events queue in memory and are written in batches, one
 * transaction each; whoever waits for an event is released when its batch commits. The queue
 * is bounded: when the store falls behind, `write` waits for room (back-pressure) instead of
 * dropping. A failed batch stays at the head of the queue and is retried with back-off.
 */
@Injectable()
export class AuditWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(AuditWriter.name);
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private failures = 0;
  private roomWaiters: (() => void)[] = [];
  private readonly depth;
  private readonly written;
  private readonly commitFailures;

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
  }

  get pending(): number {
    return this.queue.length;
  }

  /**
   * Queues an event, waiting for room when the queue is full. With `waitForCommit` it resolves
   * once the event is committed, and rejects with 503 when that does not happen within
   * `commitTimeoutMs` (the event stays queued and is written when the store recovers).
   */
  async write(event: AuditEvent, waitForCommit = true): Promise<void> {
    while (this.queue.length >= this.options.queueMax) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    let timer: NodeJS.Timeout | undefined;
    const committed = new Promise<void>((resolve) => {
      this.queue.push({ event, committed: resolve });
    });
    this.depth.set(this.queue.length);
    this.schedule();
    if (!waitForCommit) return;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new UnavailableError('the audit store did not commit in time', 1, 'audit_unavailable'),
          ),
        this.options.commitTimeoutMs,
      );
    });
    try {
      await Promise.race([committed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when everything queued so far is committed (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      this.schedule();
      await sleep(5);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((this.queue.length > 0 || this.flushing) && Date.now() < deadline) {
      this.schedule();
      await sleep(10);
    }
    if (this.queue.length > 0)
      this.logger.error(`${this.queue.length} audit events were not committed at shutdown`);
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.slice(0, this.options.batchMax);
    try {
      await this.store.insert(batch.map((p) => p.event));
      this.queue = this.queue.slice(batch.length);
      this.failures = 0;
      this.written.inc(batch.length);
      for (const p of batch) p.committed();
    } catch (err) {
      this.failures++;
      this.commitFailures.inc();
      this.logger.error(
        `audit commit of ${batch.length} events failed (attempt ${this.failures}): ${(err as Error).message}`,
      );
      await sleep(Math.min(5000, 50 * 2 ** Math.min(this.failures, 7)));
    } finally {
      this.flushing = false;
      this.depth.set(this.queue.length);
      this.releaseRoom();
      if (this.queue.length > 0) this.schedule();
    }
  }

  private releaseRoom(): void {
    while (this.roomWaiters.length > 0 && this.queue.length < this.options.queueMax) {
      this.roomWaiters.shift()?.();
    }
  }
}
