import type Database from 'better-sqlite3';
import { assertTableName } from './embedded.schema';

export interface RecordRow {
  /** SQLite's rowid: kept on replace, so it orders records by first insertion. */
  seq?: number;
  id: string;
  tenant_uid: string;
  namespace: string;
  vector?: Buffer;
  metadata?: string | null;
}

/** Where a statement acts: one namespace of one tenant. */
export interface RecordScope {
  readonly tenantUid: string;
  readonly namespace: string;
}

/**
 * The record statements of one table (in the current layout, see `upgradeRecordTable`),
 * prepared once per open handle. Every data statement takes the tenant uid and the namespace
 * as its first two parameters: there is no statement without the tenant condition, and the
 * namespace is part of it. Only erasure acts on every namespace of a tenant at once.
 */
export class RecordTable {
  private readonly upsertStmt: Database.Statement;
  private readonly fetchStmt: Database.Statement;
  private readonly loadStmt: Database.Statement;
  private readonly deleteIdsStmt: Database.Statement;
  private readonly deleteSomeStmt: Database.Statement;
  private readonly countStmt: Database.Statement;
  private readonly scanStmt: Database.Statement;
  private readonly scanValuesStmt: Database.Statement;
  private readonly eraseSomeStmt: Database.Statement;
  private readonly countTenantStmt: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    table: string,
  ) {
    assertTableName(table);
    const t = `"${table}"`;
    const where = 'tenant_uid = ? AND namespace = ?';
    this.upsertStmt = db
      .prepare(
        `INSERT INTO ${t} (tenant_uid, namespace, id, vector, metadata) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant_uid, namespace, id)
       DO UPDATE SET vector = excluded.vector, metadata = excluded.metadata
       RETURNING rowid`,
      )
      .pluck();
    this.fetchStmt = db.prepare(
      `SELECT id, tenant_uid, namespace, vector, metadata FROM ${t}
       WHERE ${where} AND id IN (SELECT value FROM json_each(?))`,
    );
    this.loadStmt = db.prepare(
      `SELECT rowid AS seq, id, tenant_uid, namespace, vector, metadata FROM ${t}
       WHERE ${where} AND id > ? ORDER BY id LIMIT ?`,
    );
    this.deleteIdsStmt = db.prepare(
      `DELETE FROM ${t} WHERE ${where} AND id IN (SELECT value FROM json_each(?)) RETURNING id`,
    );
    this.deleteSomeStmt = db.prepare(
      `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${where} LIMIT ?)`,
    );
    this.countStmt = db.prepare(`SELECT count(*) FROM ${t} WHERE ${where}`).pluck();
    const scan = (columns: string): string =>
      `SELECT ${columns} FROM ${t} WHERE ${where} AND id > ? AND id >= ? ORDER BY id LIMIT ?`;
    this.scanStmt = db.prepare(scan('id, tenant_uid, namespace, metadata'));
    this.scanValuesStmt = db.prepare(scan('id, tenant_uid, namespace, vector, metadata'));
    this.eraseSomeStmt = db.prepare(
      `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE tenant_uid = ? LIMIT ?)`,
    );
    this.countTenantStmt = db.prepare(`SELECT count(*) FROM ${t} WHERE tenant_uid = ?`).pluck();
  }

  /** Writes all rows in one transaction: all or nothing. Returns each row's rowid. */
  upsert(
    at: RecordScope,
    rows: readonly { id: string; vector: Buffer; metadata: string | null }[],
  ): number[] {
    return this.db.transaction(() =>
      rows.map((row) =>
        Number(this.upsertStmt.get(at.tenantUid, at.namespace, row.id, row.vector, row.metadata)),
      ),
    )();
  }

  fetch(at: RecordScope, ids: readonly string[]): RecordRow[] {
    return this.fetchStmt.all(at.tenantUid, at.namespace, JSON.stringify(ids)) as RecordRow[];
  }

  /**
   * The next `limit` rows after `afterId`, in id order. Loading pages by key rather than
   * through one open iterator lets other jobs use the connection between pages.
   */
  page(at: RecordScope, afterId: string, limit: number): RecordRow[] {
    return this.loadStmt.all(at.tenantUid, at.namespace, afterId, limit) as RecordRow[];
  }

  /**
   * Up to `limit` rows with an id after `afterId` and not before `from`, in id order (SQLite
   * compares text as UTF-8 bytes), for listings; vectors only when asked for.
   */
  scan(
    at: RecordScope,
    afterId: string,
    from: string,
    limit: number,
    vectors: boolean,
  ): RecordRow[] {
    const stmt = vectors ? this.scanValuesStmt : this.scanStmt;
    return stmt.all(at.tenantUid, at.namespace, afterId, from, limit) as RecordRow[];
  }

  /** Deletes the given ids in one transaction; returns the ids that existed. */
  deleteIds(at: RecordScope, ids: readonly string[]): string[] {
    return this.db.transaction(() =>
      (
        this.deleteIdsStmt.all(at.tenantUid, at.namespace, JSON.stringify(ids)) as { id: string }[]
      ).map((r) => r.id),
    )();
  }

  /** Deletes up to `limit` rows of the namespace in one transaction; returns how many. */
  deleteSome(at: RecordScope, limit: number): number {
    return this.deleteSomeStmt.run(at.tenantUid, at.namespace, limit).changes;
  }

  count(at: RecordScope): number {
    return this.countStmt.get(at.tenantUid, at.namespace) as number;
  }

  /** Erasure: deletes up to `limit` of the tenant's rows, whatever their namespace. */
  eraseSome(tenantUid: string, limit: number): number {
    return this.eraseSomeStmt.run(tenantUid, limit).changes;
  }

  /** Erasure's check: the tenant's rows left in the table, whatever their namespace. */
  countTenant(tenantUid: string): number {
    return this.countTenantStmt.get(tenantUid) as number;
  }
}
