import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricsService } from '@vecgate/core';
import { AUDIT_OPTIONS, AuditEvent, AuditOptions } from '../audit.types';

const QUEUE_MAX = 1000;
const REQUEST_TIMEOUT_MS = 5000;

/**
 * Sends alert-level events (cross-tenant attempts, isolation violations) to a webhook, with
 * retries and exponential back-off, off the request path. Every alert is also an audit event
 * at `alert` severity, so an alert the webhook never receives is still in the store.
 */
@Injectable()
export class AlertSink implements OnApplicationShutdown {
  private readonly logger = new Logger(AlertSink.name);
  private readonly queue: AuditEvent[] = [];
  private running = false;
  private stopped = false;
  private readonly sent;

  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: AuditOptions,
    metrics: MetricsService,
  ) {
    this.sent = metrics.counter('vecgate_alerts_total', 'Alerts handed to the webhook, by result', [
      'result',
    ]);
  }

  get enabled(): boolean {
    return this.options.alertWebhookUrl !== undefined;
  }

  send(event: AuditEvent): void {
    if (!this.enabled) return;
    if (this.queue.length >= QUEUE_MAX) {
      this.sent.inc({ result: 'overflow' });
      this.logger.error(`alert queue full; alert ${event.id} is only in the audit store`);
      return;
    }
    this.queue.push(event);
    if (!this.running) void this.run();
  }

  /** Resolves when every queued alert has been delivered or given up (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running || this.queue.length > 0) await sleep(10);
  }

  async onApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + 5000;
    while ((this.running || this.queue.length > 0) && Date.now() < deadline) await sleep(20);
    this.stopped = true;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const event = this.queue.shift() as AuditEvent;
        await this.deliver(event);
      }
    } finally {
      this.running = false;
    }
  }

  private async deliver(event: AuditEvent): Promise<void> {
    const url = this.options.alertWebhookUrl as string;
    for (let attempt = 0; attempt <= this.options.alertRetries; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'vecgate.alert', event }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        if (response.ok) {
          this.sent.inc({ result: 'delivered' });
          return;
        }
        this.logger.warn(`alert webhook answered ${response.status} (attempt ${attempt + 1})`);
      } catch (err) {
        this.logger.warn(
          `alert webhook failed (attempt ${attempt + 1}): ${(err as Error).message}`,
        );
      }
      if (attempt < this.options.alertRetries) await sleep(Math.min(30_000, 200 * 2 ** attempt));
    }
    this.sent.inc({ result: 'failed' });
    this.logger.error(
      `alert ${event.id} was not delivered after ${this.options.alertRetries + 1} attempts`,
    );
  }
}
