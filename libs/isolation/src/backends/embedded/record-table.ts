import type Database from 'better-sqlite3';
import { CompiledFilter } from './sqlite-filter';

export interface RecordRow {
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
  private readonly deleteAllStmt: Database.Statement;
  private readonly countStmt: Database.Statement;
  private readonly filtered = new Map<string, Database.Statement>();

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
    this.upsertStmt = db.prepare(
      `INSERT INTO ${t} (tenant_uid, id, vector, metadata) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_uid, id) DO UPDATE SET vector = excluded.vector, metadata = excluded.metadata`,
    );
    this.fetchStmt = db.prepare(
      `SELECT id, tenant_uid, vector, metadata FROM ${t}
       WHERE tenant_uid = ? AND id IN (SELECT value FROM json_each(?))`,
    );
    this.loadStmt = db.prepare(`SELECT id, tenant_uid, vector FROM ${t} WHERE tenant_uid = ?`);
    this.deleteIdsStmt = db.prepare(
      `DELETE FROM ${t} WHERE tenant_uid = ? AND id IN (SELECT value FROM json_each(?)) RETURNING id`,
    );
    this.deleteAllStmt = db.prepare(`DELETE FROM ${t} WHERE tenant_uid = ?`);
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM ${t} WHERE tenant_uid = ?`).pluck();
  }

  /** Writes all rows in one transaction: all or nothing. */
  upsert(
    tenantUid: string,
    rows: readonly { id: string; vector: Buffer; metadata: string | null }[],
  ): void {
    this.db.transaction(() => {
      for (const row of rows) this.upsertStmt.run(tenantUid, row.id, row.vector, row.metadata);
    })();
  }

  fetch(tenantUid: string, ids: readonly string[]): RecordRow[] {
    return this.fetchStmt.all(tenantUid, JSON.stringify(ids)) as RecordRow[];
  }

  load(tenantUid: string): IterableIterator<RecordRow> {
    return this.loadStmt.iterate(tenantUid) as IterableIterator<RecordRow>;
  }

  /** Ids of the tenant's rows whose metadata satisfies the filter. */
  matching(tenantUid: string, filter: CompiledFilter): string[] {
    const stmt = this.statement(
      `SELECT id FROM "${this.table}" WHERE tenant_uid = ? AND ${filter.sql}`,
    );
    return stmt.pluck().all(tenantUid, ...filter.params) as string[];
  }

  deleteIds(tenantUid: string, ids: readonly string[]): string[] {
    return (this.deleteIdsStmt.all(tenantUid, JSON.stringify(ids)) as { id: string }[]).map(
      (r) => r.id,
    );
  }

  deleteMatching(tenantUid: string, filter: CompiledFilter): string[] {
    const stmt = this.statement(
      `DELETE FROM "${this.table}" WHERE tenant_uid = ? AND ${filter.sql} RETURNING id`,
    );
    return (stmt.all(tenantUid, ...filter.params) as { id: string }[]).map((r) => r.id);
  }

  deleteAll(tenantUid: string): number {
    return this.deleteAllStmt.run(tenantUid).changes;
  }

  count(tenantUid: string): number {
    return this.countStmt.get(tenantUid) as number;
  }

  /** Filter statements differ only in shape; shapes repeat, so they are prepared once each. */
  private statement(text: string): Database.Statement {
    let stmt = this.filtered.get(text);
    if (!stmt) {
      if (this.filtered.size > 256) this.filtered.clear();
      stmt = this.db.prepare(text);
      this.filtered.set(text, stmt);
    }
    return stmt;
  }
}
