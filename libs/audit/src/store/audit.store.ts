import { Kysely } from 'kysely';
import { SqlDatabase } from '@vecgate/core';
import { AuditEvent, AuditFilter, AuditPage, StoredAuditEvent } from '../audit.types';
import { outboxRowOf } from '../alerts/alert-outbox';
import { isInsiderAlert } from '../alerts/alert-lanes';
import { floorQuery, pageQuery, planOf } from './audit.query';
import { EventInserts, EventRow } from './audit.inserts';
import { AuditRow, AuditTables, auditMigrations } from './audit.tables';

/**
 * Durable audit events in SQL. Writes come in batches from the AuditWriter (group commit).
 * Built through `open`, which migrates first.
 */
export class AuditStore {
  private readonly db: Kysely<AuditTables>;
  private readonly inserts: EventInserts;

  private constructor(private readonly sql: SqlDatabase) {
    this.db = sql.kysely<AuditTables>();
    this.inserts = new EventInserts(this.db);
  }

  static async open(sql: SqlDatabase): Promise<AuditStore> {
    await sql.migrate('audit', auditMigrations(sql.dialect));
    return new AuditStore(sql);
  }

  /**
   * Inserts a batch in one transaction: one commit (one fsync) for the whole group. With
   * `alertOutbox`, insider alerts of the batch enter the alert outbox in that same commit, so
   * an insider action that was answered always has its alert waiting for the webhook.
   */
  async insert(
    events: readonly AuditEvent[],
    options: { alertOutbox?: boolean } = {},
  ): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map(toRow);
    const queries = [];
    for (let i = 0; i < rows.length; i += 200) {
      queries.push(this.inserts.query(rows.slice(i, i + 200)));
    }
    const insider = options.alertOutbox ? events.filter(isInsiderAlert) : [];
    if (insider.length > 0)
      queries.push(
        this.db.insertInto('vg_alert_outbox').values(insider.map(outboxRowOf)).compile(),
      );
    await this.sql.writeBatch(queries);
  }

  /**
   * One page, newest first, read through the view-key index: about `limit` rows whatever the
   * store size. Filters the index does not answer are checked on at most AUDIT_SCAN_BUDGET
   * entries per page; such a page may come back short with a cursor to continue from.
   */
  async query(filter: AuditFilter, limit: number, cursor?: number): Promise<AuditPage> {
    const plan = planOf(filter);
    const floor = plan.hasResidual
      ? (await floorQuery(this.db, plan, cursor).executeTakeFirst())?.seq
      : undefined;
    const rows = await pageQuery(this.db, this.sql.dialect, plan, limit, cursor, floor).execute();
    const items = rows.slice(0, limit).map(fromRow);
    const last = items[items.length - 1];
    if (rows.length > limit && last) return { items, nextCursor: String(last.seq) };
    return { items, nextCursor: floor === undefined ? null : String(floor) };
  }
}

/** A NUL or a surrogate half: the only characters `storable` may replace. */
// eslint-disable-next-line no-control-regex -- the NUL is what it looks for
const SUSPECT = /[\u0000\ud800-\udfff]/;

/**
 * Makes any text storable in every SQL dialect: no NUL (PostgreSQL refuses it), no lone
 * surrogate, and at most `max` characters without cutting a surrogate pair in two.
 */
export function storable(value: string, max: number): string {
  // Most text has neither a NUL nor a surrogate: one scan instead of two replacements.
  const clean = !SUSPECT.test(value)
    ? value
    : value
        .replaceAll('\u0000', '\ufffd')
        .replace(
          /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
          '\ufffd',
        );
  if (clean.length <= max) return clean;
  const cut = /[\ud800-\udbff]/.test(clean.charAt(max - 1)) ? max - 1 : max;
  return clean.slice(0, cut);
}

function clip(value: string | undefined, max: number): string | null {
  return value === undefined ? null : storable(value, max);
}

function toRow(e: AuditEvent): EventRow {
  return {
    id: e.id,
    at: e.at,
    request_id: storable(e.requestId, 64),
    client_request_id: clip(e.clientRequestId, 64),
    subject: clip(e.subject, 256),
    minted_by: clip(e.mintedBy, 256),
    tenant_uid: e.tenantUid ?? null,
    tenant_id: e.tenantId ?? null,
    claimed_tenant: clip(e.claimedTenant, 63),
    target_tenant: clip(e.targetTenant, 256),
    target_tenant_uid: e.targetTenantUid ?? null,
    action: storable(e.action, 64),
    resource: storable(e.resource, 256),
    outcome: e.outcome,
    status: e.status,
    reason: clip(e.reason, 512),
    result_count: e.resultCount ?? null,
    latency_ms: e.latencyMs,
    ip: storable(e.ip, 64),
    severity: e.severity,
  };
}

function fromRow(r: AuditRow): StoredAuditEvent {
  const event: Record<string, unknown> = {
    seq: Number(r.seq),
    id: r.id,
    at: Number(r.at),
    requestId: r.request_id,
    action: r.action,
    resource: r.resource,
    outcome: r.outcome,
    status: Number(r.status),
    latencyMs: Number(r.latency_ms),
    ip: r.ip,
    severity: r.severity,
  };
  const optional: [string, unknown][] = [
    ['clientRequestId', r.client_request_id],
    ['subject', r.subject],
    ['mintedBy', r.minted_by],
    ['tenantUid', r.tenant_uid],
    ['tenantId', r.tenant_id],
    ['claimedTenant', r.claimed_tenant],
    ['targetTenant', r.target_tenant],
    ['targetTenantUid', r.target_tenant_uid],
    ['reason', r.reason],
    ['resultCount', r.result_count === null ? null : Number(r.result_count)],
  ];
  for (const [key, value] of optional) if (value !== null) event[key] = value;
  return event as unknown as StoredAuditEvent;
}
