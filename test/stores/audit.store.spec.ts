import { randomBytes, randomUUID } from 'node:crypto';
import { SqlDatabase } from '@vecgate/core';
import {
  AuditEvent,
  AuditFilter,
  AuditOutcome,
  AuditStore,
  StoredAuditEvent,
} from '@vecgate/audit';
import { AuditTables } from '@vecgate/audit/store/audit.tables';
import { describeIfAvailable, rejectionOf, SqlTarget, sqlTargets, withStore } from './sql-targets';

/** Epoch milliseconds past 2^32, so a column that is not really 64-bit would show. */
const T0 = 1_767_225_600_000;
const EVENTS = 1_000;
const BATCH = 250;

const UID_A = randomBytes(16).toString('hex');
const UID_B = randomBytes(16).toString('hex');
const UID_C = randomBytes(16).toString('hex');
const ACTIONS = ['vectors.search', 'vectors.upsert', 'tenants.get', 'tokens.mint'];
const OUTCOMES: AuditOutcome[] = ['allowed', 'denied', 'error'];

/**
 * Event `i` of the log: a deterministic mix of actors, targets and outcomes, with optional
 * fields present on some events and absent (not undefined: absent) on the others.
 */
function logEvent(i: number): AuditEvent {
  const outcome = OUTCOMES[i % 3]!;
  const event: Record<string, unknown> = {
    id: randomUUID(),
    at: T0 + i * 1_000,
    requestId: `req-${i}`,
    action: ACTIONS[i % 4]!,
    resource: `POST /v1/tenants/{tenant}/vectors/${i % 2 === 0 ? 'search' : 'upsert'}`,
    outcome,
    status: outcome === 'allowed' ? 200 : outcome === 'denied' ? 403 : 503,
    latencyMs: i + 0.375,
    ip: i % 2 === 0 ? '10.0.0.1' : '2001:db8::1',
    severity: i % 50 === 7 ? 'alert' : 'info',
  };
  if (i % 10 !== 9) event.subject = `user-${i % 7}`;
  // Actors: tenant a, tenant b, a platform principal (no tenant), or nobody (401).
  const actor = i % 4;
  if (actor === 0) Object.assign(event, { tenantUid: UID_A, tenantId: 'tenant-a' });
  if (actor === 1) Object.assign(event, { tenantUid: UID_B, tenantId: 'tenant-b' });
  if (actor === 3 && i % 8 === 3) event.claimedTenant = 'tenant-a';
  // Targets: admin routes name a tenant; some resolve to a uid, some do not exist.
  if (i % 5 === 0) Object.assign(event, { targetTenant: 'tenant-b', targetTenantUid: UID_B });
  if (i % 5 === 1) Object.assign(event, { targetTenant: 'tenant-c', targetTenantUid: UID_C });
  if (i % 5 === 2) event.targetTenant = 'no-such-tenant';
  if (outcome !== 'allowed') event.reason = `refused because of rule ${i % 3}`;
  if (outcome === 'allowed' && i % 2 === 0) event.resultCount = i % 4; // 0 included
  return event as unknown as AuditEvent;
}

function withoutSeq(stored: StoredAuditEvent): AuditEvent {
  const { seq: _seq, ...event } = stored;
  return event;
}

/** Everything the store returns for a filter, page by page, checking each page on the way. */
async function readAll(
  store: AuditStore,
  filter: AuditFilter,
  limit: number,
): Promise<{ items: StoredAuditEvent[]; pages: number }> {
  const items: StoredAuditEvent[] = [];
  let cursor: number | undefined;
  for (let pages = 1; pages <= 10_000; pages++) {
    const page = await store.query(filter, limit, cursor);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    if (page.nextCursor === null) return { items, pages };
    expect(page.items).toHaveLength(limit);
    expect(page.nextCursor).toBe(String(page.items[page.items.length - 1]!.seq));
    cursor = Number(page.nextCursor);
  }
  throw new Error('pagination did not end');
}

describe.each(sqlTargets())('audit store on $name', (target: SqlTarget) => {
  describeIfAvailable(target)('AuditStore', () => {
    let database: SqlDatabase;
    let audit: AuditStore;

    async function clear(): Promise<void> {
      await database.kysely<AuditTables>().deleteFrom('vg_audit_keys').execute();
      await database.kysely<AuditTables>().deleteFrom('vg_audit_events').execute();
    }

    withStore(target, async (store) => {
      database = store.open();
      audit = await AuditStore.open(database);
    });

    describe(`a log of ${EVENTS} events written in batches of ${BATCH}`, () => {
      const events = Array.from({ length: EVENTS }, (_, i) => logEvent(i));
      /** What a filter must return: the matching events, newest (last written) first. */
      const expected = (match: (e: AuditEvent) => boolean) =>
        events
          .filter(match)
          .reverse()
          .map((e) => e.requestId);
      const requestIds = (items: StoredAuditEvent[]) => items.map((e) => e.requestId);

      beforeAll(async () => {
        await clear();
        for (let i = 0; i < EVENTS; i += BATCH) await audit.insert(events.slice(i, i + BATCH));
      });

      it('returns every event newest first by seq, each exactly as written', async () => {
        const page = await audit.query({}, EVENTS + 1);
        expect(page.nextCursor).toBeNull();
        expect(page.items).toHaveLength(EVENTS);
        const seqs = page.items.map((e) => e.seq);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeLessThan(seqs[i - 1]!);
        for (const seq of seqs) expect(Number.isSafeInteger(seq)).toBe(true);
        expect(page.items.map(withoutSeq)).toStrictEqual([...events].reverse());
      });

      it.each([100, 333, 1_000, 7])(
        'pages through everything with limit %i, without gaps or duplicates',
        async (limit) => {
          const { items, pages } = await readAll(audit, {}, limit);
          expect(pages).toBe(Math.max(1, Math.ceil(EVENTS / limit)));
          expect(new Set(items.map((e) => e.seq)).size).toBe(EVENTS);
          expect(requestIds(items)).toEqual(expected(() => true));
        },
      );

      it('filters by tenant uid, as actor or as resolved target', async () => {
        for (const uid of [UID_A, UID_B, UID_C]) {
          const { items } = await readAll(audit, { tenantUid: uid }, 100);
          expect(requestIds(items)).toEqual(
            expected((e) => e.tenantUid === uid || e.targetTenantUid === uid),
          );
          expect(items.length).toBeGreaterThan(0);
        }
        // Tenant c never acts: only events aimed at it.
        const { items: aimedAtC } = await readAll(audit, { tenantUid: UID_C }, 100);
        for (const e of aimedAtC) expect(e.tenantUid).not.toBe(UID_C);
        expect((await audit.query({ tenantUid: randomUUID() }, 10)).items).toEqual([]);
      });

      it('filters by tenant id, as actor or as named target', async () => {
        for (const id of ['tenant-a', 'tenant-b', 'tenant-c', 'no-such-tenant']) {
          const { items } = await readAll(audit, { tenantId: id }, 100);
          expect(requestIds(items)).toEqual(
            expected((e) => e.tenantId === id || e.targetTenant === id),
          );
          expect(items.length).toBeGreaterThan(0);
        }
        // The claim of an unverified token is not a tenant id match.
        const { items: claimedA } = await readAll(audit, { tenantId: 'tenant-a' }, 100);
        expect(claimedA.some((e) => e.claimedTenant === 'tenant-a')).toBe(false);
      });

      it('filters by subject, action, outcome and severity', async () => {
        const cases: [AuditFilter, (e: AuditEvent) => boolean][] = [
          [{ subject: 'user-3' }, (e) => e.subject === 'user-3'],
          [{ subject: 'nobody' }, () => false],
          [{ action: 'tokens.mint' }, (e) => e.action === 'tokens.mint'],
          [{ outcome: 'denied' }, (e) => e.outcome === 'denied'],
          [{ outcome: 'error' }, (e) => e.outcome === 'error'],
          [{ severity: 'alert' }, (e) => e.severity === 'alert'],
          [{ severity: 'info' }, (e) => e.severity === 'info'],
        ];
        for (const [filter, match] of cases) {
          const { items } = await readAll(audit, filter, 100);
          expect({ filter, ids: requestIds(items) }).toEqual({ filter, ids: expected(match) });
        }
      });

      it('filters by time: since inclusive, until exclusive', async () => {
        const since = T0 + 100 * 1_000;
        const until = T0 + 200 * 1_000;
        const cases: [AuditFilter, (e: AuditEvent) => boolean][] = [
          [{ since }, (e) => e.at >= since],
          [{ until }, (e) => e.at < until],
          [{ since, until }, (e) => e.at >= since && e.at < until],
          [{ since: until, until: since }, () => false],
          [{ since: T0 + EVENTS * 1_000 }, () => false],
        ];
        for (const [filter, match] of cases) {
          const { items } = await readAll(audit, filter, 30);
          expect({ filter, ids: requestIds(items) }).toEqual({ filter, ids: expected(match) });
        }
        const { items } = await readAll(audit, { since, until }, 1_000);
        expect(items).toHaveLength(100);
        expect(items[0]!.requestId).toBe('req-199');
        expect(items[99]!.requestId).toBe('req-100');
      });

      it('combines filters with AND, and pages through the combination', async () => {
        const filter: AuditFilter = {
          tenantUid: UID_B,
          outcome: 'allowed',
          since: T0 + 50 * 1_000,
          until: T0 + 900 * 1_000,
        };
        const { items } = await readAll(audit, filter, 9);
        expect(requestIds(items)).toEqual(
          expected(
            (e) =>
              (e.tenantUid === UID_B || e.targetTenantUid === UID_B) &&
              e.outcome === 'allowed' &&
              e.at >= T0 + 50 * 1_000 &&
              e.at < T0 + 900 * 1_000,
          ),
        );
        expect(items.length).toBeGreaterThan(9);
      });

      it('keeps pages stable while newer events arrive between them', async () => {
        const first = await audit.query({}, 100);
        const newer = Array.from({ length: 40 }, (_, i) => ({
          ...logEvent(EVENTS + i),
          requestId: `late-${i}`,
        }));
        await audit.insert(newer);

        const rest: StoredAuditEvent[] = [];
        let cursor = first.nextCursor;
        while (cursor !== null) {
          const page = await audit.query({}, 100, Number(cursor));
          rest.push(...page.items);
          cursor = page.nextCursor;
        }
        expect(requestIds([...first.items, ...rest])).toEqual(expected(() => true));

        // The newer events are ahead of the first page, newest first.
        const top = await audit.query({}, 40);
        expect(requestIds(top.items)).toEqual(newer.map((e) => e.requestId).reverse());
        expect(top.items[39]!.seq).toBeGreaterThan(first.items[0]!.seq);
      });
    });

    describe('single events', () => {
      const minimal: AuditEvent = {
        id: randomUUID(),
        at: T0,
        requestId: 'req-minimal',
        action: 'http.unmatched',
        resource: 'GET (no route)',
        outcome: 'denied',
        status: 401,
        latencyMs: 0.001,
        ip: '127.0.0.1',
        severity: 'info',
      };

      beforeEach(clear);

      it('keeps absent optional fields absent and present ones as written', async () => {
        const full: AuditEvent = {
          id: randomUUID(),
          at: T0 + 1,
          requestId: 'req-full',
          clientRequestId: 'client-trace-1',
          subject: 'platform-admin',
          mintedBy: 'acme-ops',
          tenantUid: UID_A,
          tenantId: 'tenant-a',
          claimedTenant: 'tenant-x',
          targetTenant: 'tenant-b',
          targetTenantUid: UID_B,
          action: 'tenants.update',
          resource: 'PATCH /v1/admin/tenants/{id}',
          outcome: 'allowed',
          status: 200,
          reason: 'quota raised',
          resultCount: 123_456,
          latencyMs: 12.345678,
          ip: '::ffff:192.0.2.1',
          severity: 'alert',
        };
        const zero: AuditEvent = {
          ...minimal,
          id: randomUUID(),
          requestId: 'req-zero',
          outcome: 'allowed',
          status: 200,
          resultCount: 0,
          reason: '',
          latencyMs: 0,
        };
        await audit.insert([minimal, full, zero]);

        const { items, nextCursor } = await audit.query({}, 10);
        expect(nextCursor).toBeNull();
        expect(items.map(withoutSeq)).toStrictEqual([zero, full, minimal]);

        const [storedZero, , storedMinimal] = items;
        for (const key of [
          'clientRequestId',
          'subject',
          'mintedBy',
          'tenantUid',
          'tenantId',
          'claimedTenant',
          'targetTenant',
          'targetTenantUid',
          'reason',
          'resultCount',
        ]) {
          expect(storedMinimal).not.toHaveProperty(key);
        }
        expect(storedZero).toHaveProperty('resultCount', 0);
        expect(storedZero).toHaveProperty('reason', '');
        expect(storedZero).toHaveProperty('latencyMs', 0);
      });

      it('clips over-long strings instead of failing the insert', async () => {
        const long: AuditEvent = {
          ...minimal,
          id: randomUUID(),
          requestId: 'r'.repeat(100),
          subject: 's'.repeat(300),
          claimedTenant: 'c'.repeat(100),
          targetTenant: 't'.repeat(300),
          action: 'a'.repeat(100),
          resource: `GET /${'x'.repeat(400)}`,
          reason: `${'é'.repeat(500)}${'!'.repeat(100)}`,
          ip: 'i'.repeat(100),
        };
        await expect(audit.insert([long])).resolves.toBeUndefined();

        const [stored] = (await audit.query({}, 10)).items;
        expect(stored).toBeDefined();
        expect(stored!.requestId).toBe('r'.repeat(64));
        expect(stored!.subject).toBe('s'.repeat(256));
        expect(stored!.claimedTenant).toBe('c'.repeat(63));
        expect(stored!.targetTenant).toBe('t'.repeat(256));
        expect(stored!.action).toBe('a'.repeat(64));
        expect(stored!.resource).toBe(long.resource.slice(0, 256));
        expect(stored!.reason).toBe(`${'é'.repeat(500)}${'!'.repeat(12)}`);
        expect(stored!.ip).toBe('i'.repeat(64));
        // Clipped values are still found by an exact filter on the stored value.
        expect((await audit.query({ tenantId: 't'.repeat(256) }, 10)).items).toHaveLength(1);
        expect((await audit.query({ requestId: 'r'.repeat(64) }, 10)).items).toHaveLength(1);
      });

      it('commits a batch all or nothing', async () => {
        const batch = Array.from({ length: BATCH }, (_, i) => ({
          ...logEvent(i),
          requestId: `batch-${i}`,
        }));
        // Past the first chunk of rows the store sends, so part of the batch is already in.
        batch[240] = { ...batch[240]!, latencyMs: null as unknown as number };
        // SQLite: "NOT NULL constraint failed"; PostgreSQL: "violates not-null constraint".
        expect(await rejectionOf(audit.insert(batch))).toMatch(/not[ -]null/i);
        expect((await audit.query({ requestId: 'batch-0' }, 10)).items).toHaveLength(0);
        expect((await audit.query({}, 10)).items).toEqual([]);

        batch[240] = logEvent(240);
        await audit.insert(batch);
        expect((await readAll(audit, {}, 100)).items).toHaveLength(BATCH);
      });

      it('treats an empty batch as a no-op and finds events by request id', async () => {
        await expect(audit.insert([])).resolves.toBeUndefined();
        expect((await audit.query({}, 10)).items).toEqual([]);
        const twice = [
          { ...minimal, id: randomUUID(), requestId: 'req-twice' },
          { ...minimal, id: randomUUID(), requestId: 'req-twice', outcome: 'error' as const },
        ];
        await audit.insert(twice);
        expect((await audit.query({ requestId: 'req-twice' }, 10)).items).toHaveLength(2);
        expect((await audit.query({ requestId: 'req-never' }, 10)).items).toHaveLength(0);
      });

      it("filters by the gateway's request id and by the client's one separately", async () => {
        const events = [
          { ...minimal, id: randomUUID(), requestId: 'gw-1', clientRequestId: 'gw-2' },
          { ...minimal, id: randomUUID(), requestId: 'gw-2' },
          { ...minimal, id: randomUUID(), requestId: 'gw-3', clientRequestId: 'gw-2' },
        ];
        await audit.insert(events);
        const ids = async (filter: AuditFilter) =>
          (await audit.query(filter, 10)).items.map((e) => e.requestId).sort();
        expect(await ids({ requestId: 'gw-2' })).toEqual(['gw-2']);
        expect(await ids({ clientRequestId: 'gw-2' })).toEqual(['gw-1', 'gw-3']);
        expect(await ids({ clientRequestId: 'gw-1' })).toEqual([]);
      });
    });
  });
});
