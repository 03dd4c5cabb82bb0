import type Database from 'better-sqlite3';
import { truncateWal } from '../../../../core/src/sql/sqlite-file';

const TABLE_NAME = /^(vectors|vg_[a-z0-9_]{1,60})$/;

/** Refuses a table name the backend would never make, before it is quoted into a statement. */
export function assertTableName(table: string): void {
  if (!TABLE_NAME.test(table)) throw new Error(`invalid embedded table name ${table}`);
}

/**
 * The record table of every strategy. A record's key is (tenant uid, namespace, id): the same
 * id may live in two namespaces of one tenant, and in every tenant. The rowid is kept on
 * replace, so it orders records by first insertion (ties between equal scores).
 */
export function recordTableDdl(table: string): string {
  assertTableName(table);
  return `CREATE TABLE IF NOT EXISTS "${table}" (
      tenant_uid TEXT NOT NULL,
      namespace TEXT NOT NULL DEFAULT '',
      id TEXT NOT NULL,
      vector BLOB NOT NULL,
      metadata TEXT,
      PRIMARY KEY (tenant_uid, namespace, id)
    )`;
}

/** True when the table has the namespace column (tables made before namespaces do not). */
function hasNamespace(db: Database.Database, table: string): boolean {
  return (
    db
      .prepare(`SELECT count(*) FROM pragma_table_info(?) WHERE name = 'namespace'`)
      .pluck()
      .get(table) === 1
  );
}

/**
 * Brings a record table written before namespaces to the current layout, once: its records
 * move to the default namespace (`''`), keeping their rowids. SQLite cannot change a primary
 * key in place, so the table is rebuilt the way SQLite documents (create the new table, copy,
 * drop the old one, rename) inside one `BEGIN IMMEDIATE` transaction: a crash or an error at
 * any point leaves the old table whole, and the next open repeats the upgrade. The layout is
 * checked again under the write lock, so two workers opening one shared table upgrade it once.
 * Returns true when this call rebuilt the table.
 */
export function upgradeRecordTable(db: Database.Database, table: string): boolean {
  assertTableName(table);
  if (hasNamespace(db, table)) return false;
  const next = `vg_upgrade_${table}`;
  const rebuilt = db
    .transaction(() => {
      if (hasNamespace(db, table)) return false;
      db.exec(`DROP TABLE IF EXISTS "${next}"`);
      db.exec(recordTableDdl(next));
      db.exec(
        `INSERT INTO "${next}" (rowid, tenant_uid, namespace, id, vector, metadata)
         SELECT rowid, tenant_uid, '', id, vector, metadata FROM "${table}"`,
      );
      db.exec(`DROP TABLE "${table}"`);
      db.exec(`ALTER TABLE "${next}" RENAME TO "${table}"`);
      return true;
    })
    .immediate();
  // The copy went through the WAL; do not leave a WAL the size of the table behind.
  if (rebuilt) truncateWal(db);
  return rebuilt;
}
