import { Kysely, Migration, sql } from 'kysely';
import { SqlDialectName } from '@vecgate/core';
import { AuditFilter } from '../audit.types';

/**
 * One row per (view key, event): the index every audit view reads newest first. A view key
 * names what a filter selects (`u:` tenant uid as actor or target, `t:` tenant id as actor or
 * named target, `s:` subject, `r:` request id, `c:` the client's own request id). An event is found under each of its keys, so
 * "events of tenant X as actor or target" is one index range read backwards from the cursor
 * instead of an OR over two indexes followed by a sort of every matching event.
 */
export interface AuditKeyTable {
  key: string;
  seq: number;
}

/** The columns an event is keyed by, with the prefix of each view. */
const KEYED_COLUMNS: readonly (readonly [prefix: string, column: string])[] = [
  ['r:', 'request_id'],
  ['c:', 'client_request_id'],
  ['u:', 'tenant_uid'],
  ['u:', 'target_tenant_uid'],
  ['t:', 'tenant_id'],
  ['t:', 'target_tenant'],
  ['s:', 'subject'],
];

/** The view key a filter reads through, most selective first, and what is left to check. */
export function drivingKey(filter: AuditFilter): {
  key: string | undefined;
  residual: AuditFilter;
} {
  const { requestId, clientRequestId, subject, tenantUid, tenantId, ...rest } = filter;
  if (requestId !== undefined)
    return {
      key: `r:${requestId}`,
      residual: { ...rest, clientRequestId, subject, tenantUid, tenantId },
    };
  if (clientRequestId !== undefined)
    return { key: `c:${clientRequestId}`, residual: { ...rest, subject, tenantUid, tenantId } };
  if (subject !== undefined)
    return { key: `s:${subject}`, residual: { ...rest, tenantUid, tenantId } };
  if (tenantUid !== undefined) return { key: `u:${tenantUid}`, residual: { ...rest, tenantId } };
  if (tenantId !== undefined) return { key: `t:${tenantId}`, residual: rest };
  return { key: undefined, residual: rest };
}

/**
 * The key table, filled by a trigger so that every writer (the group commit, a replica on an
 * older build that still inserts events only) keys what it inserts in the same transaction,
 * and back-filled once from the events already stored. The indexes it replaces are dropped:
 * no query reads them any more and each costs a write per event.
 */
export function auditKeysMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      let table = db.schema
        .createTable('vg_audit_keys')
        .addColumn('key', 'varchar(260)', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('vg_audit_keys_pk', ['key', 'seq']);
      // The primary key is the only index a reader needs; a rowid would be a second copy.
      if (dialect === 'sqlite') table = table.modifyEnd(sql`without rowid`);
      await table.execute();
      const keysOf = (row: string): string =>
        KEYED_COLUMNS.map(([prefix, column]) => `select '${prefix}' || ${row}.${column} as k`).join(
          ' union ',
        );
      switch (dialect) {
        case 'sqlite':
          await sql
            .raw(
              `create trigger vg_audit_keys_fill after insert on vg_audit_events begin
                 insert or ignore into vg_audit_keys (key, seq)
                 select k, new.seq from (${keysOf('new')}) where k is not null;
               end`,
            )
            .execute(db);
          break;
        case 'postgres':
          await sql
            .raw(
              `create function vg_audit_keys_fill() returns trigger language plpgsql as $$
               begin
                 insert into vg_audit_keys (key, seq)
                 select k, new.seq from (${keysOf('new')}) as keys where k is not null
                 on conflict do nothing;
                 return null;
               end $$`,
            )
            .execute(db);
          await sql
            .raw(
              `create trigger vg_audit_keys_fill after insert on vg_audit_events
               for each row execute function vg_audit_keys_fill()`,
            )
            .execute(db);
          break;
      }
      const backfill = KEYED_COLUMNS.map(
        ([prefix, column]) =>
          `select '${prefix}' || ${column} as key, seq from vg_audit_events where ${column} is not null`,
      ).join(' union ');
      await sql.raw(`insert into vg_audit_keys (key, seq) ${backfill}`).execute(db);
      for (const index of [
        'vg_audit_tenant',
        'vg_audit_target',
        'vg_audit_request',
        'vg_audit_client_request',
      ])
        await db.schema.dropIndex(index).ifExists().execute();
    },
  };
}
