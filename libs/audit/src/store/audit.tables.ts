import { Generated, Kysely, Migration, Selectable } from 'kysely';
import { SqlDialectName } from '@vecgate/core';
import { withSeqKey } from './seq-column';
import { alertOutboxMigration, AlertOutboxTable } from '../alerts/alert-outbox';
import { auditKeysMigration, AuditKeyTable } from './audit.keys';

export interface AuditTable {
  seq: Generated<number>;
  id: string;
  at: number;
  request_id: string;
  client_request_id: string | null;
  subject: string | null;
  minted_by: string | null;
  tenant_uid: string | null;
  tenant_id: string | null;
  claimed_tenant: string | null;
  target_tenant: string | null;
  target_tenant_uid: string | null;
  action: string;
  resource: string;
  outcome: string;
  status: number;
  reason: string | null;
  result_count: number | null;
  latency_ms: number;
  ip: string;
  severity: string;
}

export interface AuditTables {
  vg_audit_events: AuditTable;
  vg_audit_keys: AuditKeyTable;
  vg_alert_outbox: AlertOutboxTable;
}

export type AuditRow = Selectable<AuditTable>;

export function auditMigrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001_audit_events': {
      async up(db: Kysely<unknown>): Promise<void> {
        await withSeqKey(db.schema.createTable('vg_audit_events'), dialect)
          .addColumn('id', 'varchar(36)', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('request_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('subject', 'varchar(256)')
          .addColumn('tenant_uid', 'varchar(32)')
          .addColumn('tenant_id', 'varchar(63)')
          .addColumn('claimed_tenant', 'varchar(63)')
          .addColumn('target_tenant', 'varchar(256)')
          .addColumn('target_tenant_uid', 'varchar(32)')
          .addColumn('action', 'varchar(64)', (c) => c.notNull())
          .addColumn('resource', 'varchar(256)', (c) => c.notNull())
          .addColumn('outcome', 'varchar(8)', (c) => c.notNull())
          .addColumn('status', 'integer', (c) => c.notNull())
          .addColumn('reason', 'varchar(512)')
          .addColumn('result_count', 'integer')
          .addColumn('latency_ms', 'double precision', (c) => c.notNull())
          .addColumn('ip', 'varchar(64)', (c) => c.notNull())
          .addColumn('severity', 'varchar(8)', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('vg_audit_tenant')
          .on('vg_audit_events')
          .columns(['tenant_uid', 'seq'])
          .execute();
        await db.schema
          .createIndex('vg_audit_target')
          .on('vg_audit_events')
          .columns(['target_tenant_uid', 'seq'])
          .execute();
        await db.schema
          .createIndex('vg_audit_request')
          .on('vg_audit_events')
          .column('request_id')
          .execute();
      },
    },
    '0120_audit_attribution': {
      // The client's own request id is kept apart from the gateway's (the audit key), and a
      // minted token's subject is shown with who minted it.
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .alterTable('vg_audit_events')
          .addColumn('client_request_id', 'varchar(64)')
          .execute();
        await db.schema
          .alterTable('vg_audit_events')
          .addColumn('minted_by', 'varchar(256)')
          .execute();
        await db.schema
          .createIndex('vg_audit_client_request')
          .on('vg_audit_events')
          .column('client_request_id')
          .execute();
      },
    },
    '0130_audit_keys': auditKeysMigration(dialect),
    '0131_alert_outbox': alertOutboxMigration(dialect),
  };
}
