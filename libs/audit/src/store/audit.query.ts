import { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import { SqlDialectName } from '@vecgate/core';
import { AuditFilter } from '../audit.types';
import { drivingKey } from './audit.keys';
import { AuditTables } from './audit.tables';

/**
 * How many index entries one page may walk past when the filter has conditions the index
 * does not answer (action, outcome, severity, time, a second key). Such a page can come back
 * short, even empty, with a `nextCursor` to continue from: every page costs at most this many
 * index steps, never a scan of the whole log on the event loop.
 */
export const AUDIT_SCAN_BUDGET = 5_000;

/** One page of a filter: the driving index range, newest first, with the residual checks. */
export interface AuditPagePlan {
  readonly key: string | undefined;
  readonly residual: AuditFilter;
  readonly hasResidual: boolean;
}

export function planOf(filter: AuditFilter): AuditPagePlan {
  const { key, residual } = drivingKey(filter);
  const hasResidual = Object.values(residual).some((v) => v !== undefined);
  return { key, residual, hasResidual };
}

/**
 * The page query: read the driving index backwards from the cursor (down to `floor` when the
 * scan is bounded), fetch each entry's event by primary key, stop after `limit + 1` matches.
 * SQLite always runs this join as a nested loop over the index. PostgreSQL may pick a merge
 * join, which walks the events table from the newest row down to the oldest entry it needs,
 * however many other tenants' events lie between: the lateral subquery (kept apart by
 * `offset 0`) makes it one primary-key lookup per index entry there too.
 */
export function pageQuery(
  db: Kysely<AuditTables>,
  dialect: SqlDialectName,
  plan: AuditPagePlan,
  limit: number,
  cursor: number | undefined,
  floor: number | undefined,
) {
  const { key } = plan;
  if (key === undefined) {
    let q = db.selectFrom('vg_audit_events').selectAll('vg_audit_events');
    if (cursor !== undefined) q = q.where('vg_audit_events.seq', '<', cursor);
    if (floor !== undefined) q = q.where('vg_audit_events.seq', '>=', floor);
    if (plan.hasResidual) q = q.where(residualOf(plan.residual));
    return q.orderBy('vg_audit_events.seq', 'desc').limit(limit + 1);
  }
  switch (dialect) {
    case 'sqlite': {
      let q = db
        .selectFrom('vg_audit_keys')
        .innerJoin('vg_audit_events', 'vg_audit_events.seq', 'vg_audit_keys.seq')
        .selectAll('vg_audit_events')
        .where('vg_audit_keys.key', '=', key);
      if (cursor !== undefined) q = q.where('vg_audit_keys.seq', '<', cursor);
      if (floor !== undefined) q = q.where('vg_audit_keys.seq', '>=', floor);
      if (plan.hasResidual) q = q.where(residualOf(plan.residual));
      return q.orderBy('vg_audit_keys.seq', 'desc').limit(limit + 1);
    }
    case 'postgres': {
      let q = db
        .selectFrom('vg_audit_keys')
        .innerJoinLateral(
          (eb) => {
            let e = eb
              .selectFrom('vg_audit_events')
              .selectAll('vg_audit_events')
              .whereRef('vg_audit_events.seq', '=', 'vg_audit_keys.seq');
            if (plan.hasResidual) e = e.where(residualOf(plan.residual));
            return e.offset(0).as('e');
          },
          (join) => join.onTrue(),
        )
        .selectAll('e')
        .where('vg_audit_keys.key', '=', key);
      if (cursor !== undefined) q = q.where('vg_audit_keys.seq', '<', cursor);
      if (floor !== undefined) q = q.where('vg_audit_keys.seq', '>=', floor);
      return q.orderBy('vg_audit_keys.seq', 'desc').limit(limit + 1);
    }
  }
}

/**
 * The lowest seq a bounded page may reach: the `AUDIT_SCAN_BUDGET`-th entry of the driving
 * range below the cursor, read from the index alone. None when fewer entries remain.
 */
export function floorQuery(
  db: Kysely<AuditTables>,
  plan: AuditPagePlan,
  cursor: number | undefined,
) {
  if (plan.key === undefined) {
    let q = db.selectFrom('vg_audit_events').select('seq');
    if (cursor !== undefined) q = q.where('seq', '<', cursor);
    return q
      .orderBy('seq', 'desc')
      .limit(1)
      .offset(AUDIT_SCAN_BUDGET - 1);
  }
  let q = db.selectFrom('vg_audit_keys').select('seq').where('key', '=', plan.key);
  if (cursor !== undefined) q = q.where('seq', '<', cursor);
  return q
    .orderBy('seq', 'desc')
    .limit(1)
    .offset(AUDIT_SCAN_BUDGET - 1);
}

/** The conditions the driving index does not answer, checked on each event it leads to. */
function residualOf(f: AuditFilter) {
  return (eb: ExpressionBuilder<AuditTables, 'vg_audit_events'>) => {
    const all: Expression<SqlBool>[] = [];
    const e = 'vg_audit_events';
    const uid = f.tenantUid;
    if (uid !== undefined)
      all.push(eb.or([eb(`${e}.tenant_uid`, '=', uid), eb(`${e}.target_tenant_uid`, '=', uid)]));
    const id = f.tenantId;
    if (id !== undefined)
      all.push(eb.or([eb(`${e}.tenant_id`, '=', id), eb(`${e}.target_tenant`, '=', id)]));
    if (f.subject !== undefined) all.push(eb(`${e}.subject`, '=', f.subject));
    if (f.requestId !== undefined) all.push(eb(`${e}.request_id`, '=', f.requestId));
    if (f.clientRequestId !== undefined)
      all.push(eb(`${e}.client_request_id`, '=', f.clientRequestId));
    if (f.action !== undefined) all.push(eb(`${e}.action`, '=', f.action));
    if (f.outcome !== undefined) all.push(eb(`${e}.outcome`, '=', f.outcome));
    if (f.severity !== undefined) all.push(eb(`${e}.severity`, '=', f.severity));
    if (f.since !== undefined) all.push(eb(`${e}.at`, '>=', f.since));
    if (f.until !== undefined) all.push(eb(`${e}.at`, '<', f.until));
    return eb.and(all);
  };
}
