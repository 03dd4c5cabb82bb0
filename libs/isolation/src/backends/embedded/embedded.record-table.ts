import type Database from 'better-sqlite3';

export interface RecordRow {
  /** SQLite's rowid: kept on replace, so it orders records by first insertion. */
  seq?: number;
  id: string;
  tenant_uid: string;
  vector?: Buffer;
  metadata?: string | null;
}

const TABLE_NAME = /^(vectors|vg_[a-z0-9_]{1,60})$/;

/**
 * The record statements of one table, prepared once per open handle. Every statement takes
 * the tenant uid as its first parameter: there is no statement without the tenant condition.
 */
export class RecordTable {
  private readonly upsertStmt: Database.Statement;
  private readonly fetchStmt: Database.Statement;
  private readonly loadStmt: Database.Statement;
  private readonly deleteIdsStmt: Database.Statement;
  private readonly deleteSomeStmt: Database.Statement;
  private readonly countStmt: Database.Statement;

  static schema(table: string): string {
    RecordTable.assertName(table);
    return `CREATE TABLE IF NOT EXISTS "${table}" (
      tenant_uid TEXT NOT NULL,
      id TEXT NOT NULL,
      vector BLOB NOT NULL,
      metadata TEXT,
      PRIMARY KEY (tenant_uid, id)
    )`;
  }

  static assertName(table: string): void {
    if (!TABLE_NAME.test(table)) throw new Error(`invalid embedded table name ${table}`);
  }

  constructor(
    private readonly db: Database.Database,
    private readonly table: string,
  ) {
    RecordTable.assertName(table);
    const t = `"${table}"`;
    this.upsertStmt = db
      .prepare(
        `INSERT INTO ${t} (tenant_uid, id, vector, metadata) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_uid, id) DO UPDATE SET vector = excluded.vector, metadata = excluded.metadata
       RETURNING rowid`,
      )
      .pluck();
    this.fetchStmt = db.prepare(
      `SELECT id, tenant_uid, vector, metadata FROM ${t}
       WHERE tenant_uid = ? AND id IN (SELECT value FROM json_each(?))`,
    );
    this.loadStmt = db.prepare(
      `SELECT rowid AS seq, id, tenant_uid, vector, metadata FROM ${t}
       WHERE tenant_uid = ? AND id > ? ORDER BY id LIMIT ?`,
    );
    this.deleteIdsStmt = db.prepare(
      `DELETE FROM ${t} WHERE tenant_uid = ? AND id IN (SELECT value FROM json_each(?)) RETURNING id`,
    );
    this.deleteSomeStmt = db.prepare(
      `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE tenant_uid = ? LIMIT ?)`,
    );
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM ${t} WHERE tenant_uid = ?`).pluck();
  }

  /** Writes all rows in one transaction: all or nothing. Returns each row's rowid. */
  upsert(
    tenantUid: string,
    rows: readonly { id: string; vector: Buffer; metadata: string | null }[],
  ): number[] {
    return this.db.transaction(() =>
      rows.map((row) => Number(this.upsertStmt.get(tenantUid, row.id, row.vector, row.metadata))),
    )();
  }

  fetch(tenantUid: string, ids: readonly string[]): RecordRow[] {
    return this.fetchStmt.all(tenantUid, JSON.stringify(ids)) as RecordRow[];
  }

  /**
   * The next `limit` rows after `afterId`, in id order. Loading pages by key rather than
   * through one open iterator lets other jobs use the connection between pages.
   */
  page(tenantUid: string, afterId: string, limit: number): RecordRow[] {
    return this.loadStmt.all(tenantUid, afterId, limit) as RecordRow[];
  }

  /** Deletes the given ids in one transaction; returns the ids that existed. */
  deleteIds(tenantUid: string, ids: readonly string[]): string[] {
    return this.db.transaction(() =>
      (this.deleteIdsStmt.all(tenantUid, JSON.stringify(ids)) as { id: string }[]).map((r) => r.id),
    )();
  }

  /** Deletes up to `limit` of the tenant's rows in one transaction; returns how many. */
  deleteSome(tenantUid: string, limit: number): number {
    return this.deleteSomeStmt.run(tenantUid, limit).changes;
  }

  count(tenantUid: string): number {
    return this.countStmt.get(tenantUid) as number;
  }
}
