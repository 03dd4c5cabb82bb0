import { Kysely } from 'kysely';
import { SqlDatabase } from '@vecgate/core';
import { AuditEvent, AuditFilter, AuditPage, StoredAuditEvent } from '../audit.types';
import { AuditRow, AuditTables, auditMigrations } from './audit.tables';

/**
 * Durable audit events in SQL. Writes come in batches from the AuditWriter (group commit).
 * Built through `open`, which migrates first.
 */
export class AuditStore {
  private readonly db: Kysely<AuditTables>;

  private constructor(private readonly sql: SqlDatabase) {
    this.db = sql.kysely<AuditTables>();
  }

  static async open(sql: SqlDatabase): Promise<AuditStore> {
    await sql.migrate('audit', auditMigrations(sql.dialect));
    return new AuditStore(sql);
  }

  /** Inserts a batch in one transaction: one commit (one fsync) for the whole group. */
  async insert(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map(toRow);
    const queries = [];
    for (let i = 0; i < rows.length; i += 200) {
      queries.push(
        this.db
          .insertInto('vg_audit_events')
          .values(rows.slice(i, i + 200))
          .compile(),
      );
    }
    await this.sql.writeBatch(queries);
  }

  async query(filter: AuditFilter, limit: number, cursor?: number): Promise<AuditPage> {
    let q = this.db
      .selectFrom('vg_audit_events')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) q = q.where('seq', '<', cursor);
    if (filter.tenantUid !== undefined) {
      const uid = filter.tenantUid;
      q = q.where((eb) => eb.or([eb('tenant_uid', '=', uid), eb('target_tenant_uid', '=', uid)]));
    }
    if (filter.tenantId !== undefined) {
      const id = filter.tenantId;
      q = q.where((eb) => eb.or([eb('tenant_id', '=', id), eb('target_tenant', '=', id)]));
    }
    if (filter.subject !== undefined) q = q.where('subject', '=', filter.subject);
    if (filter.requestId !== undefined) q = q.where('request_id', '=', filter.requestId);
    if (filter.clientRequestId !== undefined)
      q = q.where('client_request_id', '=', filter.clientRequestId);
    if (filter.action !== undefined) q = q.where('action', '=', filter.action);
    if (filter.outcome !== undefined) q = q.where('outcome', '=', filter.outcome);
    if (filter.severity !== undefined) q = q.where('severity', '=', filter.severity);
    if (filter.since !== undefined) q = q.where('at', '>=', filter.since);
    if (filter.until !== undefined) q = q.where('at', '<', filter.until);
    const rows = await q.execute();
    const items = rows.slice(0, limit).map(fromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? String(last.seq) : null };
  }
}

/**
 * Makes any text storable in every SQL dialect: no NUL (PostgreSQL refuses it), no lone
 * surrogate, and at most `max` characters without cutting a surrogate pair in two.
 */
export function storable(value: string, max: number): string {
  const clean = value
    .replaceAll('\u0000', '\ufffd')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  if (clean.length <= max) return clean;
  const cut = /[\ud800-\udbff]/.test(clean.charAt(max - 1)) ? max - 1 : max;
  return clean.slice(0, cut);
}

function clip(value: string | undefined, max: number): string | null {
  return value === undefined ? null : storable(value, max);
}

function toRow(e: AuditEvent): Omit<AuditRow, 'seq'> {
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
