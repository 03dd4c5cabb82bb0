import { randomBytes, randomUUID } from 'node:crypto';
import { CompiledQuery, sql } from 'kysely';
import { SqlDatabase } from '@vecgate/core';
import { AuditEvent, AuditFilter, AuditStore, StoredAuditEvent } from '@vecgate/audit';
import { AUDIT_SCAN_BUDGET, floorQuery, pageQuery, planOf } from '@vecgate/audit/store/audit.query';
import { AuditTables, auditMigrations } from '@vecgate/audit/store/audit.tables';
import { describeIfAvailable, SqlStore, SqlTarget, sqlTargets, withStore } from './sql-targets';

/** Enough events that a plan reading them all, or sorting them, would show. */
const EVENTS = 24_000;
const T0 = 1_767_225_600_000;
const UIDS = Array.from({ length: 4 }, () => randomBytes(16).toString('hex'));

/** Event i: four tenants in turn, ten subjects, an alert only among the oldest 50. */
function event(i: number): AuditEvent {
  const tenant = i % 4;
  return {
    id: randomUUID(),
    at: T0 + i,
    requestId: `req-${i}`,
    clientRequestId: `client-${i}`,
    subject: `user-${i % 10}`,
    tenantUid: UIDS[tenant],
    tenantId: `tenant-${tenant}`,
    ...(i % 12 === 1 ? { targetTenant: 'tenant-0', targetTenantUid: UIDS[0] } : {}),
    action: 'vectors.search',
    resource: 'POST /v1/search',
    outcome: 'allowed',
    status: 200,
    latencyMs: 1,
    ip: '10.0.0.1',
    severity: i < 200 && i % 4 === 0 ? 'alert' : 'info',
  };
}

/** Every item of a filter, following cursors through short (bounded) pages too. */
async function readAll(store: AuditStore, filter: AuditFilter, limit: number) {
  const items: StoredAuditEvent[] = [];
  let cursor: number | undefined;
  let pages = 0;
  for (;;) {
    const page = await store.query(filter, limit, cursor);
    pages++;
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    if (page.nextCursor === null) return { items, pages };
    cursor = Number(page.nextCursor);
  }
}

/** The page filters every view uses: a tenant's own page, each admin filter, and none. */
const VIEWS: [string, AuditFilter][] = [
  ['a tenant’s own page (uid as actor or target)', { tenantUid: UIDS[0] }],
  ['forTenant', { tenantId: 'tenant-1' }],
  ['subject', { subject: 'user-3' }],
  ['requestId', { requestId: 'req-12345' }],
  ['clientRequestId', { clientRequestId: 'client-7' }],
  ['no filter', {}],
];

describe.each(sqlTargets())('audit query plans on $name', (target: SqlTarget) => {
  describeIfAvailable(target)('AuditStore at scale', () => {
    let database: SqlDatabase;
    let audit: AuditStore;
    const events = Array.from({ length: EVENTS }, (_, i) => event(i));

    async function plan(query: CompiledQuery): Promise<string> {
      const db = database.kysely<AuditTables>();
      if (target.name === 'sqlite') {
        const explained = CompiledQuery.raw(`explain query plan ${query.sql}`, [
          ...query.parameters,
        ]);
        const rows = (await db.executeQuery<{ detail: string }>(explained)).rows;
        return rows.map((r) => r.detail).join('\n');
      }
      const explained = CompiledQuery.raw(`explain (analyze, costs off) ${query.sql}`, [
        ...query.parameters,
      ]);
      const rows = (await db.executeQuery<{ 'QUERY PLAN': string }>(explained)).rows;
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    }

    withStore(
      target,
      async (store) => {
        database = store.open();
        audit = await AuditStore.open(database);
        for (let i = 0; i < EVENTS; i += 1000) await audit.insert(events.slice(i, i + 1000));
        await sql`analyze`.execute(database.kysely());
      },
      { timeoutMs: 120_000 },
    );

    it.each(VIEWS)(
      'reads %s through an index, newest first, with no sort of the matching events',
      async (_name, filter) => {
        for (const cursor of [undefined, 20_000]) {
          const query = pageQuery(
            database.kysely(),
            database.dialect,
            planOf(filter),
            10,
            cursor,
            undefined,
          );
          const text = await plan(query.compile());
          if (target.name === 'sqlite') {
            expect(text).not.toMatch(/TEMP B-TREE/);
            if (Object.keys(filter).length > 0) {
              expect(text).toMatch(/SEARCH vg_audit_keys USING PRIMARY KEY \(key=\?/);
              expect(text).toMatch(/SEARCH vg_audit_events USING INTEGER PRIMARY KEY/);
            }
          } else {
            // No sequential scan, and no node (a sort included) handles more than the page.
            expect(text).not.toMatch(/Seq Scan/);
            expect(text).toMatch(/Index (Only )?Scan/);
            const actual = [...text.matchAll(/actual time=[\d.]+\.\.[\d.]+ rows=(\d+)/g)];
            expect(actual.length).toBeGreaterThan(1);
            const most = Math.max(...actual.map(([, rows]) => Number(rows)));
            expect({ most, text }).toEqual({ most: Math.min(most, 11), text });
          }
        }
      },
    );

    it('returns the same events through the index as a plain filter over the log', async () => {
      const [, ownFilter] = VIEWS[0]!;
      const page = await audit.query(ownFilter, 50);
      const expected = events
        .filter((e) => e.tenantUid === UIDS[0] || e.targetTenantUid === UIDS[0])
        .reverse()
        .slice(0, 50)
        .map((e) => e.requestId);
      expect(page.items.map((e) => e.requestId)).toEqual(expected);
      expect(page.nextCursor).toBe(String(page.items[49]!.seq));
    });

    it('bounds a page whose filter the index does not answer, and still finds every match by following cursors', async () => {
      const filter: AuditFilter = { tenantUid: UIDS[0], severity: 'alert' };
      const first = await audit.query(filter, 10);
      // The newest budget of tenant 0's entries holds no alert: a short page with a cursor.
      expect(first.items).toEqual([]);
      expect(first.nextCursor).not.toBeNull();
      const floor = await floorQuery(
        database.kysely(),
        planOf(filter),
        undefined,
      ).executeTakeFirst();
      expect(first.nextCursor).toBe(String(floor?.seq));

      const { items, pages } = await readAll(audit, filter, 10);
      const expected = events
        .filter(
          (e) =>
            (e.tenantUid === UIDS[0] || e.targetTenantUid === UIDS[0]) && e.severity === 'alert',
        )
        .reverse()
        .map((e) => e.requestId);
      expect(items.map((e) => e.requestId)).toEqual(expected);
      const tenantEntries = events.filter(
        (e) => e.tenantUid === UIDS[0] || e.targetTenantUid === UIDS[0],
      ).length;
      expect(pages).toBeGreaterThanOrEqual(Math.floor(tenantEntries / AUDIT_SCAN_BUDGET));
    });

    it('bounds an unkeyed filter the same way (action, outcome, time)', async () => {
      const filter: AuditFilter = { until: T0 + 30 };
      const first = await audit.query(filter, 5);
      expect(first.items).toEqual([]);
      const { items } = await readAll(audit, filter, 5);
      expect(items.map((e) => e.requestId)).toEqual(
        events
          .slice(0, 30)
          .reverse()
          .map((e) => e.requestId),
      );
    });
  });

  describeIfAvailable(target)('migration of a store written before the view keys', () => {
    let store: SqlStore;

    afterAll(async () => {
      await store?.dispose();
    });

    it('keys the events already stored, so every view finds them after the upgrade', async () => {
      store = await target.create();
      const database = store.open();
      const migrations = auditMigrations(database.dialect);
      await database.migrate('audit', { '0001_audit_events': migrations['0001_audit_events']! });
      const old = Array.from({ length: 40 }, (_, i) => event(i));
      const db = database.kysely<AuditTables>();
      for (const e of old) {
        await db
          .insertInto('vg_audit_events')
          .values({
            id: e.id,
            at: e.at,
            request_id: e.requestId,
            subject: e.subject ?? null,
            tenant_uid: e.tenantUid ?? null,
            tenant_id: e.tenantId ?? null,
            claimed_tenant: null,
            target_tenant: e.targetTenant ?? null,
            target_tenant_uid: e.targetTenantUid ?? null,
            action: e.action,
            resource: e.resource,
            outcome: e.outcome,
            status: e.status,
            reason: null,
            result_count: null,
            latency_ms: e.latencyMs,
            ip: e.ip,
            severity: e.severity,
          })
          .execute();
      }
      const audit = await AuditStore.open(database);
      const own = await readAll(audit, { tenantUid: UIDS[0] }, 7);
      expect(own.items.map((e) => e.requestId)).toEqual(
        old
          .filter((e) => e.tenantUid === UIDS[0] || e.targetTenantUid === UIDS[0])
          .reverse()
          .map((e) => e.requestId),
      );
      expect((await audit.query({ requestId: 'req-17' }, 5)).items).toHaveLength(1);
      expect((await audit.query({ subject: 'user-3' }, 50)).items).toHaveLength(4);
      // Events written after the upgrade are keyed by the trigger, beside the old ones.
      await audit.insert([event(40)]);
      expect((await audit.query({ tenantId: 'tenant-0' }, 100)).items[0]!.requestId).toBe('req-40');
    });
  });
});
