import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricsService } from '@vecgate/core';
import { AUDIT_OPTIONS, AuditEvent, AuditOptions } from '../audit.types';
import { AlertAggregator, QueuedAlert } from './alert-aggregator';
import { isInsiderAlert } from './alert-lanes';
import { AlertOutbox } from './alert-outbox';

/** Attempt alerts waiting for the webhook, all senders together; beyond it they are folded. */
const ATTEMPT_QUEUE_MAX = 1000;
const REQUEST_TIMEOUT_MS = 5000;
/** How often the outbox is read even without a wake-up (another replica's or a past run's). */
const OUTBOX_POLL_MS = 5000;
const MAX_BACKOFF_MS = 10_000;

/**
 * Sends alert-level events to a webhook, off the request path, in two lanes:
 * - insider alerts (isolation violations, every cross_tenant_admin action) are never
 *   dropped: they enter a SQL outbox in the same commit as their audit event and leave it
 *   only once the webhook took them, retried with back-off for as long as it is down;
 * - attempt alerts (cross-tenant and bypass attempts) have a quota per sender and window;
 *   a burst beyond it arrives as one summary per window, and senders are served in turn.
 * The insider lane is served first. Every alert is also an audit event at `alert` severity.
 */
@Injectable()
export class AlertSink implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AlertSink.name);
  private readonly attempts: AlertAggregator;
  private running = false;
  private stopped = false;
  private insiderDue = false;
  private insiderFailures = 0;
  private timers: NodeJS.Timeout[] = [];
  private readonly sent;
  private readonly pending;

  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: AuditOptions,
    private readonly outbox: AlertOutbox,
    metrics: MetricsService,
  ) {
    this.sent = metrics.counter(
      'vecgate_alerts_total',
      'Alerts by result: delivered, retried, failed (attempt lane, given up), folded into a summary',
      ['result'],
    );
    this.pending = metrics.gauge(
      'vecgate_alerts_pending',
      'Alerts waiting for the webhook, by lane (insider: in the outbox, kept until delivered)',
      ['lane'],
    );
    this.attempts = new AlertAggregator(
      {
        quota: options.alertQuota,
        windowMs: options.alertWindowMs,
        queueMax: ATTEMPT_QUEUE_MAX,
      },
      () => this.sent.inc({ result: 'folded' }),
    );
  }

  get enabled(): boolean {
    return this.options.alertWebhookUrl !== undefined;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    const every = (ms: number, fn: () => void): void => {
      const timer = setInterval(fn, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.alertWindowMs, () => {
      this.attempts.closeWindow();
      this.kick();
    });
    every(OUTBOX_POLL_MS, () => this.wake());
    // Insider alerts a previous run left undelivered go out first.
    this.wake();
  }

  /** Takes an attempt alert; insider alerts travel through the outbox (see `wake`). */
  send(event: AuditEvent): void {
    if (!this.enabled || isInsiderAlert(event)) return;
    this.attempts.add(event);
    this.kick();
  }

  /** Insider alerts were committed to the outbox: deliver them. */
  wake(): void {
    if (!this.enabled) return;
    this.insiderDue = true;
    this.kick();
  }

  /** Resolves when both lanes are empty, or after `maxMs` (tests, shutdown). */
  async idle(maxMs = 10_000): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline) {
      const busy = this.running || this.insiderDue || this.attempts.queue.size > 0;
      if (!busy && (!this.enabled || (await this.outboxCount()) === 0)) return;
      await sleep(10);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.attempts.closeWindow();
    this.kick();
    await this.idle(5000);
    this.stopped = true;
  }

  private kick(): void {
    if (!this.running && !this.stopped) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped) {
        if (this.insiderDue && (await this.deliverInsider())) continue;
        const next = this.attempts.queue.take(1)[0];
        this.pending.set({ lane: 'attempt' }, this.attempts.queue.size);
        if (!next) break;
        await this.deliverAttempt(next);
      }
    } finally {
      this.running = false;
    }
  }

  /** Delivers the oldest insider alerts; false once the outbox is empty. */
  private async deliverInsider(): Promise<boolean> {
    try {
      const due = await this.outbox.oldest(10);
      this.pending.set({ lane: 'insider' }, await this.outbox.count());
      if (due.length === 0) {
        this.insiderDue = false;
        return false;
      }
      for (const alert of due) {
        if (this.stopped) return true;
        if (!(await this.outbox.claim(alert.seq))) continue;
        if (await this.post(alert.payload)) {
          await this.outbox.delivered(alert.seq);
          this.sent.inc({ result: 'delivered' });
          this.insiderFailures = 0;
          continue;
        }
        // Kept: the same alert is retried first, after a back-off, however long it takes.
        await this.outbox.release(alert.seq);
        this.sent.inc({ result: 'retried' });
        await this.backOff(++this.insiderFailures);
        return true;
      }
    } catch (err) {
      this.logger.error(`alert outbox unavailable: ${(err as Error).message}`);
      await this.backOff(++this.insiderFailures);
    }
    return true;
  }

  private async deliverAttempt(alert: QueuedAlert): Promise<void> {
    const body = JSON.stringify(alert.message);
    for (let attempt = 0; attempt <= this.options.alertRetries; attempt++) {
      if (await this.post(body)) {
        this.sent.inc({ result: 'delivered' });
        return;
      }
      if (attempt < this.options.alertRetries) {
        this.sent.inc({ result: 'retried' });
        await this.backOff(attempt + 1);
      }
    }
    this.sent.inc({ result: 'failed' });
    this.logger.error(
      `alert not delivered after ${this.options.alertRetries + 1} attempts; it is in the audit store`,
    );
  }

  private async post(body: string): Promise<boolean> {
    try {
      const response = await fetch(this.options.alertWebhookUrl as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      if (response.ok) return true;
      this.logger.warn(`alert webhook answered ${response.status}`);
    } catch (err) {
      this.logger.warn(`alert webhook failed: ${(err as Error).message}`);
    }
    return false;
  }

  /** Unref'd: a back-off in progress does not hold the process open at shutdown. */
  private async backOff(failures: number): Promise<void> {
    const ms = Math.min(MAX_BACKOFF_MS, 200 * 2 ** Math.min(failures - 1, 10));
    await sleep(ms, undefined, { ref: false });
  }

  private async outboxCount(): Promise<number> {
    try {
      return await this.outbox.count();
    } catch {
      return 0;
    }
  }
}
