import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MetricsService } from '@vecgate/core';
import { isInsiderAlert } from './alerts/alert-lanes';
import { AlertSink } from './alerts/alert-sink';
import {
  AUDIT_OPTIONS,
  AuditEvent,
  AuditFilter,
  AuditOptions,
  AuditOutcome,
  AuditPage,
} from './audit.types';
import { AuditStore } from './store/audit.store';
import { AuditWriter } from './store/audit.writer';

export type AuditInput = Omit<AuditEvent, 'id' | 'at'>;

const SUMMARY_INTERVAL_MS = 10_000;

/**
 * The audit module's front: records request events (durably or not, per mode), samples
 * unauthenticated floods, sends alerts, and answers audit queries.
 */
@Injectable()
export class AuditService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('audit');
  private windowStart = 0;
  private windowCount = 0;
  private sampledOut = 0;
  private summaryTimer?: NodeJS.Timeout;
  /** Events whose log line is written after the current turn of the loop (see `record`). */
  private unlogged: AuditEvent[] = [];
  /** Events recorded once the current turn of the loop is over (see `recordAfterAnswer`). */
  private deferred: (() => void)[] = [];
  private readonly events;
  /** The events counter's child per outcome, looked up once (a labels object per call costs). */
  private readonly outcomeCounts = new Map<AuditOutcome, { inc(): void }>();
  private readonly sampled;
  private readonly alerts;

  constructor(
    private readonly writer: AuditWriter,
    private readonly store: AuditStore,
    private readonly sink: AlertSink,
    @Inject(AUDIT_OPTIONS) private readonly options: AuditOptions,
    metrics: MetricsService,
  ) {
    writer.onCommit((events) => {
      if (events.some(isInsiderAlert)) sink.wake();
    });
    this.events = metrics.counter(
      'vecgate_audit_events_total',
      'Audit events recorded, by outcome',
      ['outcome'],
    );
    this.sampled = metrics.counter(
      'vecgate_audit_unauthenticated_sampled_out_total',
      'Unauthenticated requests counted but not stored one by one',
    );
    this.alerts = metrics.counter(
      'vecgate_security_alerts_total',
      'Alert-level audit events, by action',
      ['action'],
    );
  }

  get mode(): AuditOptions['mode'] {
    return this.options.mode;
  }

  onModuleInit(): void {
    this.summaryTimer = setInterval(() => void this.summarise(), SUMMARY_INTERVAL_MS);
    this.summaryTimer.unref();
  }

  /** Last summary, then every queued event committed, before the connection closes. */
  async onApplicationShutdown(): Promise<void> {
    if (this.summaryTimer) clearInterval(this.summaryTimer);
    this.recordDeferred();
    this.logPending();
    await this.summarise(false);
    await this.writer.shutdown();
  }

  /**
   * Records an event. In durable mode the promise resolves when the event is committed (the
   * caller answers only then); in async mode as soon as it is queued. Returns undefined when
   * an unauthenticated event was sampled out (it is counted and summarised instead). The log
   * line is written once the current turn of the event loop is over, so formatting it (about
   * 15 µs with redaction) does not delay the answer the event is about; the store, not the
   * log, is the durable record.
   */
  record(
    input: AuditInput,
    options: { unauthenticated?: boolean } = {},
  ): Promise<void> | undefined {
    if (options.unauthenticated && !this.admitUnauthenticated()) {
      this.sampled.inc();
      this.sampledOut++;
      return undefined;
    }
    const event: AuditEvent = { ...input, id: randomUUID(), at: Date.now() };
    this.countOf(event.outcome).inc();
    if (this.options.log && this.unlogged.push(event) === 1) setImmediate(() => this.logPending());
    if (event.severity === 'alert') {
      this.alerts.inc({ action: event.action });
      this.sink.send(event);
    }
    return this.writer.write(event, this.options.mode === 'durable');
  }

  /**
   * Async mode: records the event once the current turn of the event loop is over, that is
   * after the answer it describes was handed to the socket, so queuing it (and the
   * microtasks that follow) no longer delays that answer; the guarantee is async mode's
   * (queued, committed within `flushIntervalMs`). Returns a function that records it at once
   * if it was not yet, for an event that must follow it in the trail (the client left). Only
   * when its lane has room now: otherwise undefined, and the caller records it as usual, so a
   * store that falls behind still holds answers back (the queue's back-pressure).
   */
  recordAfterAnswer(
    input: AuditInput,
    options: { unauthenticated?: boolean } = {},
  ): (() => void) | undefined {
    if (this.options.mode !== 'async' || !this.writer.hasRoomFor(input)) return undefined;
    let recorded = false;
    const now = (): void => {
      if (recorded) return;
      recorded = true;
      this.record(input, options)?.catch((err: Error) =>
        this.logger.error(`event of ${input.requestId} not queued in time: ${err.message}`),
      );
    };
    if (this.deferred.push(now) === 1) setImmediate(() => this.recordDeferred());
    return now;
  }

  private recordDeferred(): void {
    const deferred = this.deferred;
    this.deferred = [];
    for (const now of deferred) now();
  }

  query(filter: AuditFilter, limit: number, cursor?: number): Promise<AuditPage> {
    return this.store.query(filter, limit, cursor);
  }

  /** Waits until every queued event is committed and alerts are sent (tests, shutdown). */
  async flush(): Promise<void> {
    this.recordDeferred();
    this.logPending();
    await this.writer.drain();
    await this.sink.idle();
  }

  private countOf(outcome: AuditOutcome): { inc(): void } {
    let count = this.outcomeCounts.get(outcome);
    if (!count) {
      count = this.events.labels({ outcome });
      this.outcomeCounts.set(outcome, count);
    }
    return count;
  }

  private logPending(): void {
    const events = this.unlogged;
    this.unlogged = [];
    const line = this.options.logLine;
    if (line) for (const event of events) line(event);
    else for (const event of events) this.logger.log({ audit: event });
  }

  private admitUnauthenticated(now = Date.now()): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    return ++this.windowCount <= this.options.unauthenticatedPerSecond;
  }

  /** Stores one event that counts the unauthenticated requests not stored one by one. */
  private async summarise(waitForCommit = true): Promise<void> {
    if (this.sampledOut === 0) return;
    const count = this.sampledOut;
    this.sampledOut = 0;
    await this.writer
      .write(
        {
          id: randomUUID(),
          at: Date.now(),
          requestId: 'summary',
          action: 'audit.unauthenticated_summary',
          resource: '*',
          outcome: 'denied',
          status: 401,
          reason: `${count} unauthenticated requests beyond ${this.options.unauthenticatedPerSecond}/s were counted, not stored one by one`,
          resultCount: count,
          latencyMs: 0,
          ip: '-',
          severity: 'info',
        },
        waitForCommit,
      )
      .catch((err: Error) => this.logger.error(`audit summary not committed: ${err.message}`));
  }
}
