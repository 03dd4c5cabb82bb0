import { randomUUID } from 'node:crypto';
import { AuditEvent, AuditStore } from '@vecgate/audit';
import { AlertOutbox } from '@vecgate/audit/alerts/alert-outbox';
import {
  describeIfAvailable,
  rejectionOf,
  SqlStore,
  SqlTarget,
  sqlTargets,
  withStore,
} from './sql-targets';

function event(action: string, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: randomUUID(),
    at: 1_767_225_600_000,
    requestId: `req-${randomUUID()}`,
    subject: 'ops',
    action,
    resource: 'POST /v1/admin/tenants/:id/search',
    outcome: 'allowed',
    status: 200,
    latencyMs: 1,
    ip: '10.0.0.1',
    severity: 'alert',
    ...extra,
  };
}

const insider = (): AuditEvent => event('admin.cross_tenant.search', { targetTenant: 'victim' });
const attempt = (): AuditEvent =>
  event('admin.tenants.get', { tenantId: 'mallory', tenantUid: 'a'.repeat(32), status: 403 });
const idsOf = (payloads: { payload: string }[]) =>
  payloads.map((p) => (JSON.parse(p.payload) as { event: { id: string } }).event.id);

describe.each(sqlTargets())('alert outbox on $name', (target: SqlTarget) => {
  describeIfAvailable(target)('AlertOutbox', () => {
    let audit: AuditStore;
    let outbox: AlertOutbox;
    let opened: SqlStore;

    withStore(target, async (store) => {
      opened = store;
      const database = store.open();
      audit = await AuditStore.open(database);
      outbox = new AlertOutbox(database);
    });

    afterEach(async () => {
      for (const alert of await outbox.oldest(1000, Number.MAX_SAFE_INTEGER))
        await outbox.delivered(alert.seq);
    });

    it('keeps the insider alerts of a batch, in order, in the same commit as their events', async () => {
      const batch = [
        insider(),
        attempt(),
        insider(),
        event('vectors.search', { severity: 'info' }),
      ];
      await audit.insert(batch, { alertOutbox: true });
      const waiting = await outbox.oldest(10);
      expect(idsOf(waiting)).toEqual([batch[0]!.id, batch[2]!.id]);
      expect(JSON.parse(waiting[0]!.payload)).toEqual({ type: 'vecgate.alert', event: batch[0] });
      expect(await outbox.count()).toBe(2);
    });

    it('keeps nothing when no webhook is configured', async () => {
      await audit.insert([insider()]);
      expect(await outbox.count()).toBe(0);
    });

    it('writes no alert of a batch that did not commit', async () => {
      const broken = { ...attempt(), latencyMs: null as unknown as number };
      expect(await rejectionOf(audit.insert([insider(), broken], { alertOutbox: true }))).toMatch(
        /not[ -]null/i,
      );
      expect(await outbox.count()).toBe(0);
    });

    it('lets an alert go only once delivered', async () => {
      await audit.insert([insider(), insider()], { alertOutbox: true });
      const [first, second] = await outbox.oldest(10);
      await outbox.delivered(first!.seq);
      expect((await outbox.oldest(10)).map((a) => a.seq)).toEqual([second!.seq]);
      expect(await outbox.count()).toBe(1);
    });

    it('leases an alert to one replica at a time, and a released lease is taken again at once', async () => {
      await audit.insert([insider()], { alertOutbox: true });
      const other = new AlertOutbox(opened.open());
      const [alert] = await outbox.oldest(10);
      expect(await outbox.claim(alert!.seq)).toBe(true);
      if (target.name === 'postgres') {
        // Another replica neither sees nor takes the leased alert.
        expect(await other.oldest(10)).toEqual([]);
        expect(await other.claim(alert!.seq)).toBe(false);
        await outbox.release(alert!.seq);
      }
      expect(await other.claim(alert!.seq)).toBe(true);
      expect(await other.count()).toBe(1);
    });
  });
});
