import type Database from 'better-sqlite3';
import { join } from 'node:path';
import { makePrivateDirectory } from '../../../../core/src/fs/private-files';
import { Metadata } from '../../ports/vector.types';
import { AnnSettings } from './embedded.ann-index';
import { AnnKeeper } from './embedded.ann-keeper';
import type { EngineTarget } from './embedded.engine-protocol';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { assertEmbeddedFile, assertNamespace, locate, SHARED_FILE } from './embedded.naming';
import { MatrixCache } from './embedded.matrix-cache';
import { RecordTable } from './embedded.record-table';
import { SqliteHandlePool } from './embedded.handle-pool';
import { upgradeRecordTable } from './embedded.schema';
import { RowOwner, TenantMatrix } from './embedded.tenant-matrix';

/** Rows read per page while loading a matrix: a page is a few milliseconds at most. */
const LOAD_PAGE = 256;

/**
 * What one engine worker holds: its own SQLite connections (bounded), the record statements
 * prepared on them, and the matrices (one per namespace) of the tenants pinned to it, within
 * its memory budget.
 */
export class EngineFiles {
  readonly pool: SqliteHandlePool;
  readonly cache: MatrixCache;
  /** The HNSW graphs of the large namespaces, and their saved files. */
  readonly ann: AnnKeeper;
  private readonly tables = new WeakMap<Database.Database, Map<string, RecordTable>>();

  constructor(directory: string, maxOpenFiles: number, cacheBytes: number, ann: AnnSettings) {
    makePrivateDirectory(join(directory, 'tenants'));
    this.pool = new SqliteHandlePool(directory, maxOpenFiles, new Set([SHARED_FILE]));
    this.pool.acquire(SHARED_FILE, true);
    this.cache = new MatrixCache(cacheBytes);
    this.ann = new AnnKeeper(directory, ann);
  }

  /** Re-derives the location from the uid, so a message can never name another tenant's place. */
  checked(target: EngineTarget): EngineTarget {
    const expected = locate(target.strategy, target.tenantUid, target);
    if (target.file !== expected.file || target.table !== expected.table)
      throw new Error('placement does not match its uid and strategy');
    assertEmbeddedFile(target.file);
    assertNamespace(target.namespace);
    return target;
  }

  /**
   * The tenant's record table. Jobs ask again after every pause: the handle may have been
   * closed meanwhile to keep the number of open files bounded.
   */
  records(target: EngineTarget): RecordTable {
    const records = this.tableOf(this.pool.acquire(target.file), target.table);
    if (!records) throw new Error(`embedded table ${target.table} is missing for this tenant`);
    return records;
  }

  tableOf(db: Database.Database, table: string): RecordTable | undefined {
    let byName = this.tables.get(db);
    if (!byName) {
      byName = new Map();
      this.tables.set(db, byName);
    }
    let records = byName.get(table);
    if (!records) {
      const exists = db
        .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`)
        .get(table);
      if (!exists) return undefined;
      // A table written before namespaces is rebuilt here, once, before any statement uses it.
      upgradeRecordTable(db, table);
      records = new RecordTable(db, table);
      byName.set(table, records);
    }
    return records;
  }

  /** Forgets prepared statements on a handle whose schema is about to change. */
  forgetTables(db: Database.Database): void {
    this.tables.delete(db);
  }

  /**
   * The matrix of the target's namespace: cached, or loaded page by page (pausing between
   * pages) and cached when it fits the budget. A matrix too large for the budget serves this
   * call only.
   */
  *matrix(target: EngineTarget, clock: SliceClock): Job<TenantMatrix> {
    const cached = this.cache.get(target);
    if (cached) return cached;
    const matrix = new TenantMatrix(target.dimension);
    let after = '';
    let owner: RowOwner | undefined;
    for (;;) {
      const page = this.records(target).page(target, after, LOAD_PAGE);
      for (const row of page) {
        const text = row.metadata ?? null;
        const metadata = text === null ? undefined : (JSON.parse(text) as Metadata);
        // Rows read back with the same owner share one object (equal values, less memory).
        if (owner?.tenantUid !== row.tenant_uid || owner.namespace !== row.namespace)
          owner = { tenantUid: row.tenant_uid, namespace: row.namespace };
        matrix.put(
          row.id,
          owner,
          row.vector as Buffer,
          metadata,
          text?.length ?? 0,
          row.seq as number,
        );
        after = row.id;
      }
      if (page.length < LOAD_PAGE) break;
      if (clock.over()) yield;
    }
    this.cache.set(target, matrix);
    return matrix;
  }
}
