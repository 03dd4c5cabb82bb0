import { AuditEvent } from '../audit.types';

/**
 * The lane that is never dropped: isolation violations, and every action of a
 * cross_tenant_admin (a platform principal that passed the role check of a cross-tenant
 * route; a tenant token aimed at such a route is an attempt, not an insider action).
 */
export function isInsiderAlert(event: AuditEvent): boolean {
  if (event.severity !== 'alert') return false;
  if (event.action === 'isolation.violation') return true;
  return (
    event.action.startsWith('admin.cross_tenant.') &&
    event.subject !== undefined &&
    event.tenantId === undefined
  );
}

/**
 * Whose quota an attempt alert counts against: its tenant (by the verified id, present on
 * refusals before the tenant was resolved too), else its subject, else its address.
 */
export function alertKeyOf(event: AuditEvent): string {
  if (event.tenantId !== undefined) return `tenant:${event.tenantId}`;
  if (event.tenantUid !== undefined) return `tenant-uid:${event.tenantUid}`;
  if (event.subject !== undefined) return `subject:${event.subject}`;
  return `address:${event.ip}`;
}

/** One summary alert: a burst of attempts by one sender within one window. */
export interface AlertSummary {
  readonly tenantUid?: string;
  readonly tenantId?: string;
  readonly subject?: string;
  readonly ip: string;
  /** Attempts folded into this summary (not sent one by one). */
  readonly count: number;
  /** Epoch milliseconds of the first and last attempt folded in. */
  readonly firstAt: number;
  readonly lastAt: number;
  /** Attempts per action. */
  readonly actions: Readonly<Record<string, number>>;
  readonly windowMs: number;
}

/** What the webhook receives: one alert, or the summary of a burst. */
export type AlertMessage =
  | { readonly type: 'vecgate.alert'; readonly event: AuditEvent }
  | { readonly type: 'vecgate.alert.summary'; readonly summary: AlertSummary };
