/* eslint-disable @typescript-eslint/require-await --
   The engine is synchronous; declaring its methods async turns any throw into a rejected
   promise, as the store port promises its callers. */
import type Database from 'better-sqlite3';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exactSearch, MetricKind } from 'usearch';
import { fsyncDirectory, makePrivateDirectory, truncateWal } from '@vecgate/core';
import {
  BackendHealth,
  ErasureReport,
  PlacementRequest,
  StrategyCapability,
} from '../../ports/backend-admin';
import { VectorBackendDriver } from '../../ports/vector-backend.driver';
import {
  DeleteSelector,
  Metadata,
  MetricName,
  Placement,
  ReadOptions,
  ScoredRecord,
  SearchQuery,
  StoredRecord,
  TenantScope,
  VectorSpace,
  VectorWrite,
} from '../../ports/vector.types';
import { EmbeddedOptions } from './embedded.options';
import { MatrixCache } from './matrix-cache';
import { RecordRow, RecordTable } from './record-table';
import { compileSqliteFilter } from './sqlite-filter';
import { SqliteHandlePool } from './sqlite-handle-pool';
import { TenantMatrix } from './tenant-matrix';

const SHARED_FILE = 'embedded.db';
const TENANT_FILE = /^tenants\/[0-9a-f]{32}\.db$/;
const UID = /^[0-9a-f]{32}$/;

/** Below this many floats a single-threaded scan beats starting usearch's thread pool. */
const SINGLE_THREAD_FLOATS = 1 << 21;

const USEARCH_METRIC: Record<MetricName, MetricKind> = {
  cosine: MetricKind.Cos,
  euclidean: MetricKind.L2sq,
  dot: MetricKind.IP,
};

interface EmbeddedLocation {
  file: string;
  table: string;
}

/**
 * The embedded backend: records durable in SQLite, exact search over in-memory per-tenant
 * matrices with usearch's SIMD kernels. Strategies: `database` (a file per tenant),
 * `collection` (a table per tenant) and `partition_key` (a shared table per vector space with
 * the tenant uid leading the primary key).
 */
export class EmbeddedBackend extends VectorBackendDriver {
  readonly name = 'embedded' as const;
  readonly capabilities: readonly StrategyCapability[] = [
    { strategy: 'database', limit: null },
    { strategy: 'collection', limit: null },
    { strategy: 'partition_key', limit: null },
  ];

  private readonly pool: SqliteHandlePool;
  private readonly tables = new WeakMap<Database.Database, Map<string, RecordTable>>();
  readonly cache: MatrixCache;

  constructor(private readonly options: EmbeddedOptions) {
    super();
    makePrivateDirectory(join(options.directory, 'tenants'));
    this.pool = new SqliteHandlePool(
      options.directory,
      options.maxOpenFiles,
      new Set([SHARED_FILE]),
    );
    this.pool.acquire(SHARED_FILE, true);
    this.cache = new MatrixCache(options.cacheMb * 1024 * 1024);
  }

  /** Number of per-tenant files open now (bounded by `maxOpenFiles`). */
  get openTenantFiles(): number {
    return this.pool.openCount - 1;
  }

  plan(request: PlacementRequest): Placement {
    if (!UID.test(request.tenantUid)) throw new Error('tenant uid must be 32 hex characters');
    const location = this.locate(request.strategy, request.tenantUid, request.space);
    return { backend: 'embedded', strategy: request.strategy, location: { ...location } };
  }

  async checkCapacity(): Promise<void> {}

  async provision(scope: TenantScope): Promise<void> {
    const { file, table } = this.location(scope);
    const db = this.pool.acquire(file, true);
    db.exec(RecordTable.schema(table));
  }

  async erase(scope: TenantScope): Promise<ErasureReport> {
    const { file, table } = this.location(scope);
    this.cache.delete(scope.tenantUid);
    switch (scope.placement.strategy) {
      case 'database': {
        this.pool.close(file);
        const path = this.pool.absolute(file);
        for (const suffix of ['', '-wal', '-shm', '-journal'])
          rmSync(path + suffix, { force: true });
        fsyncDirectory(dirname(path));
        return { places: [{ place: file, remaining: existsSync(path) ? 1 : 0 }] };
      }
      case 'collection': {
        const db = this.pool.acquire(file);
        this.tables.get(db)?.delete(table);
        db.exec(`DROP TABLE IF EXISTS "${table}"`);
        this.compact(db);
        const left = db
          .prepare(`SELECT count(*) FROM sqlite_master WHERE name = ?`)
          .pluck()
          .get(table);
        return {
          places: [{ place: `${file}:${table}`, remaining: Number(left) }],
        };
      }
      case 'partition_key': {
        const db = this.pool.acquire(file);
        const records = this.tableOf(db, table);
        if (!records) return { places: [{ place: `${file}:${table}`, remaining: 0 }] };
        records.deleteAll(scope.tenantUid);
        this.compact(db);
        const remaining = records.count(scope.tenantUid);
        return { places: [{ place: `${file}:${table}`, remaining }] };
      }
      case 'partition':
      case 'namespace':
      case 'dedicated_index':
        throw new Error(`embedded backend has no ${scope.placement.strategy} strategy`);
    }
  }

  async health(): Promise<BackendHealth> {
    try {
      this.pool.acquire(SHARED_FILE).prepare('SELECT 1').get();
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    this.pool.closeAll();
    this.cache.clear();
  }

  async upsert(scope: TenantScope, records: readonly VectorWrite[]): Promise<{ upserted: number }> {
    const table = this.records(scope);
    const rows = records.map((r) => ({
      id: r.id,
      vector: Buffer.from(r.values.buffer, r.values.byteOffset, r.values.byteLength),
      metadata: r.metadata === undefined ? null : JSON.stringify(r.metadata),
    }));
    table.upsert(scope.tenantUid, rows);
    const matrix = this.cache.get(scope.tenantUid);
    if (matrix) {
      const before = matrix.bytes;
      for (const r of records) matrix.put(r.id, scope.tenantUid, r.values);
      this.cache.resized(scope.tenantUid, before);
    }
    return { upserted: records.length };
  }

  async fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
  ): Promise<StoredRecord[]> {
    if (ids.length === 0) return [];
    const rows = this.records(scope).fetch(scope.tenantUid, ids);
    return rows.map((row) => this.toRecord(row, options));
  }

  async delete(scope: TenantScope, selector: DeleteSelector): Promise<{ deleted: number }> {
    const table = this.records(scope);
    let deletedIds: string[] | undefined;
    let deleted: number;
    switch (selector.kind) {
      case 'ids':
        deletedIds = table.deleteIds(scope.tenantUid, selector.ids);
        deleted = deletedIds.length;
        break;
      case 'filter':
        deletedIds = table.deleteMatching(scope.tenantUid, compileSqliteFilter(selector.filter));
        deleted = deletedIds.length;
        break;
      case 'all':
        deleted = table.deleteAll(scope.tenantUid);
        break;
    }
    const matrix = this.cache.get(scope.tenantUid);
    if (matrix && deletedIds) {
      const before = matrix.bytes;
      for (const id of deletedIds) matrix.remove(id);
      this.cache.resized(scope.tenantUid, before);
    } else if (matrix) {
      this.cache.delete(scope.tenantUid);
    }
    if (deleted > 0) truncateWal(this.pool.acquire(this.location(scope).file));
    return { deleted };
  }

  async search(scope: TenantScope, query: SearchQuery): Promise<ScoredRecord[]> {
    const table = this.records(scope);
    const matrix = this.matrix(scope, table);
    let rows: number[] | undefined;
    if (query.filter) {
      const ids = table.matching(scope.tenantUid, compileSqliteFilter(query.filter));
      rows = [];
      for (const id of ids) {
        const row = matrix.rowOf(id);
        if (row !== undefined) rows.push(row);
      }
    }
    const candidates = rows ? rows.length : matrix.count;
    const k = Math.min(query.topK, candidates);
    if (k === 0) return [];
    const dataset = rows ? matrix.gather(rows) : matrix.matrix();
    const dim = scope.space.dimension;
    const threads = dataset.length < SINGLE_THREAD_FLOATS ? 1 : 0;
    const found = exactSearch(
      dataset,
      query.vector,
      dim,
      k,
      USEARCH_METRIC[scope.space.metric],
      threads,
    );
    const keys = found.keys;
    const distances = found.distances;
    const hits: { row: number; score: number }[] = [];
    for (let i = 0; i < keys.length; i++) {
      const position = Number(keys[i]);
      const row = rows ? (rows[position] as number) : position;
      hits.push({ row, score: toScore(scope.space.metric, distances[i] as number) });
    }
    const metadata = query.includeMetadata
      ? this.metadataOf(
          table,
          scope.tenantUid,
          hits.map((h) => matrix.idAt(h.row)),
        )
      : undefined;
    return hits.map(({ row, score }) => {
      const id = matrix.idAt(row);
      return {
        id,
        tenantUid: matrix.storedUidAt(row),
        score,
        ...(query.includeValues ? { values: matrix.valuesAt(row) } : {}),
        ...(metadata ? { metadata: metadata.get(id) ?? {} } : {}),
      };
    });
  }

  async count(scope: TenantScope): Promise<number> {
    return this.records(scope).count(scope.tenantUid);
  }

  /** True while the tenant's matrix is held in memory (used by erasure checks). */
  isCached(tenantUid: string): boolean {
    return this.cache.has(tenantUid);
  }

  private metadataOf(table: RecordTable, tenantUid: string, ids: string[]): Map<string, Metadata> {
    const out = new Map<string, Metadata>();
    for (const row of table.fetch(tenantUid, ids)) {
      // A row whose stored uid differs is left out here and caught by result validation.
      if (row.tenant_uid === tenantUid && row.metadata)
        out.set(row.id, JSON.parse(row.metadata) as Metadata);
    }
    return out;
  }

  private matrix(scope: TenantScope, table: RecordTable): TenantMatrix {
    const cached = this.cache.get(scope.tenantUid);
    if (cached) return cached;
    const matrix = new TenantMatrix(
      scope.space.dimension,
      Math.max(16, table.count(scope.tenantUid)),
    );
    for (const row of table.load(scope.tenantUid)) {
      matrix.put(row.id, row.tenant_uid, row.vector as Buffer);
    }
    this.cache.set(scope.tenantUid, matrix);
    return matrix;
  }

  private toRecord(row: RecordRow, options: ReadOptions): StoredRecord {
    const record: { -readonly [K in keyof StoredRecord]: StoredRecord[K] } = {
      id: row.id,
      tenantUid: row.tenant_uid,
    };
    if (options.includeValues && row.vector) {
      const copy = new Uint8Array(row.vector.byteLength);
      copy.set(row.vector);
      record.values = new Float32Array(copy.buffer);
    }
    if (options.includeMetadata)
      record.metadata = row.metadata ? (JSON.parse(row.metadata) as Metadata) : {};
    return record;
  }

  private records(scope: TenantScope): RecordTable {
    const { file, table } = this.location(scope);
    const db = this.pool.acquire(file);
    const records = this.tableOf(db, table);
    if (!records)
      throw new Error(`embedded table ${table} is missing for tenant ${scope.tenantId}`);
    return records;
  }

  private tableOf(db: Database.Database, table: string): RecordTable | undefined {
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
      records = new RecordTable(db, table);
      byName.set(table, records);
    }
    return records;
  }

  /** Rewrites a shared file so no freed page or stale B-tree key of an erased tenant survives. */
  private compact(db: Database.Database): void {
    this.tables.delete(db);
    db.exec('VACUUM');
    truncateWal(db);
  }

  private locate(strategy: string, uid: string, space: VectorSpace): EmbeddedLocation {
    switch (strategy) {
      case 'database':
        return { file: `tenants/${uid}.db`, table: 'vectors' };
      case 'collection':
        return { file: SHARED_FILE, table: `vg_t_${uid}` };
      case 'partition_key':
        return { file: SHARED_FILE, table: `vg_shared_${space.dimension}_${space.metric}` };
      default:
        throw new Error(`embedded backend has no ${strategy} strategy`);
    }
  }

  /** Reads the location back from the scope and refuses anything that is not a name we make. */
  private location(scope: TenantScope): EmbeddedLocation {
    const expected = this.locate(scope.placement.strategy, scope.tenantUid, scope.space);
    const { file, table } = scope.placement.location;
    if (file !== expected.file || table !== expected.table) {
      throw new Error(`placement of tenant ${scope.tenantId} does not match its uid and strategy`);
    }
    if (file !== SHARED_FILE && !TENANT_FILE.test(file))
      throw new Error(`invalid embedded file ${file}`);
    return expected;
  }
}

function toScore(metric: MetricName, distance: number): number {
  switch (metric) {
    case 'cosine':
    case 'dot':
      return 1 - distance;
    case 'euclidean':
      return -Math.sqrt(Math.max(0, distance));
  }
}
