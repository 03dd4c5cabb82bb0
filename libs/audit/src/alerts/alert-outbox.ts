import { Generated, Kysely, Migration } from 'kysely';
import { SqlDatabase, SqlDialectName } from '@vecgate/core';
import { withSeqKey } from '../store/seq-column';
import { AuditEvent } from '../audit.types';

export interface AlertOutboxTable {
  seq: Generated<number>;
  event_id: string;
  /** The webhook body, JSON. */
  payload: string;
  /** Epoch ms until which a replica delivering this alert holds it (PostgreSQL). */
  lease_until: number;
}

export interface AlertOutboxTables {
  vg_alert_outbox: AlertOutboxTable;
}

export interface OutboxAlert {
  readonly seq: number;
  readonly payload: string;
}

/** Longer than one delivery attempt (its timeout is 5 s), so two replicas rarely both send. */
const LEASE_MS = 30_000;

export function alertOutboxMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withSeqKey(db.schema.createTable('vg_alert_outbox'), dialect)
        .addColumn('event_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('lease_until', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}

/** The outbox row of an insider alert, written in the same transaction as its audit event. */
export function outboxRowOf(event: AuditEvent): Omit<AlertOutboxTable, 'seq'> {
  return {
    event_id: event.id,
    payload: JSON.stringify({ type: 'vecgate.alert', event }),
    lease_until: 0,
  };
}

/**
 * Insider alerts waiting for the webhook, kept in the audit database: they survive a webhook
 * outage and a restart, and leave only once delivered. Delivery is at least once (a crash
 * between the webhook's answer and the delete sends it again).
 */
export class AlertOutbox {
  private readonly db: Kysely<AlertOutboxTables>;

  constructor(private readonly sql: SqlDatabase) {
    this.db = sql.kysely<AlertOutboxTables>();
  }

  /** The oldest waiting alerts (a primary-key range read, bounded by `limit`). */
  async oldest(limit: number, now = Date.now()): Promise<OutboxAlert[]> {
    const rows = await this.db
      .selectFrom('vg_alert_outbox')
      .select(['seq', 'payload'])
      .where('lease_until', '<', now)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ seq: Number(r.seq), payload: r.payload }));
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('vg_alert_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Takes the lease on an alert; false when another replica holds it. One process owns a
   * SQLite file, so there the lease is not needed.
   */
  async claim(seq: number, now = Date.now()): Promise<boolean> {
    if (this.sql.dialect === 'sqlite') return true;
    const result = await this.db
      .updateTable('vg_alert_outbox')
      .set({ lease_until: now + LEASE_MS })
      .where('seq', '=', seq)
      .where('lease_until', '<', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Gives the lease back after a failed delivery, so the retry is not held for its length. */
  async release(seq: number): Promise<void> {
    if (this.sql.dialect === 'sqlite') return;
    await this.db
      .updateTable('vg_alert_outbox')
      .set({ lease_until: 0 })
      .where('seq', '=', seq)
      .execute();
  }

  /** Removes a delivered alert (on SQLite through the commit worker, off the event loop). */
  async delivered(seq: number): Promise<void> {
    await this.sql.writeBatch([
      this.db.deleteFrom('vg_alert_outbox').where('seq', '=', seq).compile(),
    ]);
  }
}
