import { AuditEvent } from '../audit.types';
import { FairQueue } from '../store/fair-queue';
import { AlertMessage, AlertSummary, alertKeyOf } from './alert-lanes';

interface Window {
  sent: number;
  folded?: {
    first: AuditEvent;
    count: number;
    firstAt: number;
    lastAt: number;
    actions: Record<string, number>;
  };
}

export interface AggregatorLimits {
  /** Alerts one sender may have sent one by one per window; the rest become its summary. */
  readonly quota: number;
  readonly windowMs: number;
  /** Alerts waiting for the webhook, all senders together; beyond it they are folded too. */
  readonly queueMax: number;
}

export type QueuedAlert = { readonly key: string; readonly message: AlertMessage };

/**
 * The lane of attempt alerts (cross-tenant attempts, bypass attempts). Each sender (tenant,
 * else subject, else address) may send `quota` alerts one by one per window; further attempts
 * in that window are folded into one summary (count, first and last time, actions), queued
 * when the window closes. Queued alerts are served one sender at a time in turn, so a sender
 * bursting thousands of attempts delays another sender's alert by at most one delivery.
 * Nothing is discarded: an alert that finds the queue full is folded into its sender's summary.
 */
export class AlertAggregator {
  private windows = new Map<string, Window>();
  readonly queue = new FairQueue<QueuedAlert>((a) => a.key);

  constructor(
    private readonly limits: AggregatorLimits,
    private readonly onFolded: () => void = () => undefined,
  ) {}

  /** Takes one attempt alert: queued to be sent, or folded into its sender's summary. */
  add(event: AuditEvent): void {
    const key = alertKeyOf(event);
    const window = this.windows.get(key) ?? { sent: 0 };
    this.windows.set(key, window);
    if (window.sent < this.limits.quota && this.queue.size < this.limits.queueMax) {
      window.sent++;
      this.queue.push({ key, message: { type: 'vecgate.alert', event } });
      return;
    }
    this.onFolded();
    const folded = (window.folded ??= {
      first: event,
      count: 0,
      firstAt: event.at,
      lastAt: event.at,
      actions: {},
    });
    folded.count++;
    folded.firstAt = Math.min(folded.firstAt, event.at);
    folded.lastAt = Math.max(folded.lastAt, event.at);
    folded.actions[event.action] = (folded.actions[event.action] ?? 0) + 1;
  }

  /**
   * Closes the window: queues one summary per sender that had attempts folded, and starts
   * every quota afresh. A summary that does not fit in the queue stays and grows into the
   * next window's summary rather than being lost.
   */
  closeWindow(): void {
    const next = new Map<string, Window>();
    for (const [key, window] of this.windows) {
      const folded = window.folded;
      if (!folded) continue;
      if (this.queue.size >= this.limits.queueMax) {
        next.set(key, { sent: this.limits.quota, folded });
        continue;
      }
      const e = folded.first;
      const summary: AlertSummary = {
        ...(e.tenantUid === undefined ? {} : { tenantUid: e.tenantUid }),
        ...(e.tenantId === undefined ? {} : { tenantId: e.tenantId }),
        ...(e.subject === undefined ? {} : { subject: e.subject }),
        ip: e.ip,
        count: folded.count,
        firstAt: folded.firstAt,
        lastAt: folded.lastAt,
        actions: folded.actions,
        windowMs: this.limits.windowMs,
      };
      this.queue.push({ key, message: { type: 'vecgate.alert.summary', summary } });
    }
    this.windows = next;
  }

  /** Attempts folded and not yet queued as a summary. */
  get foldedPending(): number {
    let n = 0;
    for (const w of this.windows.values()) n += w.folded?.count ?? 0;
    return n;
  }
}
