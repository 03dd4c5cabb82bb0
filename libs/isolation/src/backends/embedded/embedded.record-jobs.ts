import {
  DeleteSelector,
  FilterNode,
  Metadata,
  ReadOptions,
  StoredRecord,
} from '../../ports/vector.types';
import type { RecordRow } from './embedded.record-table';
import type { EngineFiles } from './embedded.engine-files';
import type { EngineTarget, EngineWrite } from './embedded.engine-protocol';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { compileRowFilter } from './embedded.row-filter';
import { rowsMatching } from './embedded.search';
import { RowOwner, TenantMatrix } from './embedded.tenant-matrix';
import { metadataAsText, OnWire } from './embedded.wire-records';

/*
 * The record jobs an engine worker runs for one namespace of one tenant (the target's); only
 * erasure (`eraseTenantRows`) reaches every namespace of the tenant.
 */

/** Rows deleted per transaction by a delete that the request does not bound. */
const DELETE_CHUNK = 500;

/* eslint-disable require-yield --
   Bounded work (one transaction, a key lookup) is a job of one step, so it still queues fairly
   behind the tenant's earlier work and keeps the tenant's writes in order. */

/** Writes all records in one transaction, then mirrors them into the namespace's cached matrix. */
export function* upsertJob(
  files: EngineFiles,
  target: EngineTarget,
  records: readonly EngineWrite[],
): Job<{ upserted: number }> {
  const rows = records.map((r) => ({
    id: r.id,
    vector: Buffer.from(r.values.buffer, r.values.byteOffset, r.values.byteLength),
    metadata: r.metadata === undefined ? null : JSON.stringify(r.metadata),
  }));
  files.ann.beforeUpsert(
    files,
    target,
    records.map((r) => r.id),
  );
  const seqs = files.records(target).upsert(target, rows);
  const matrix = files.cache.get(target);
  if (matrix) {
    const before = matrix.bytes;
    // The owner the rows were just written with, as a load would read it back.
    const owner: RowOwner = { tenantUid: target.tenantUid, namespace: target.namespace };
    records.forEach((r, i) => {
      const text = rows[i]?.metadata ?? null;
      matrix.put(r.id, owner, r.values, r.metadata, text?.length ?? 0, seqs[i] ?? 0);
    });
    files.ann.afterUpsert(
      matrix,
      records.map((r, i) => ({ seq: seqs[i] ?? 0, values: r.values })),
    );
    files.cache.resized(target, before);
    files.ann.consider(files, target, matrix);
  }
  return { upserted: records.length };
}

export function* fetchJob(
  files: EngineFiles,
  target: EngineTarget,
  ids: readonly string[],
  options: ReadOptions,
): Job<OnWire<StoredRecord>[]> {
  if (ids.length === 0) return [];
  return toRecords(files.records(target).fetch(target, ids), options);
}

/** A loaded matrix mirrors every write of its namespace (they all pass here), so it can count. */
export function* countJob(files: EngineFiles, target: EngineTarget): Job<number> {
  const records = files.records(target);
  return files.cache.get(target)?.count ?? records.count(target);
}

/* eslint-enable require-yield */

export function* deleteJob(
  files: EngineFiles,
  target: EngineTarget,
  selector: DeleteSelector,
  clock: SliceClock,
): Job<{ deleted: number }> {
  // A saved graph would keep deleted vectors: it is removed before any row is.
  files.ann.beforeDelete(target);
  switch (selector.kind) {
    case 'ids': {
      const gone = files.records(target).deleteIds(target, selector.ids);
      forgetRows(files, target, gone);
      return { deleted: gone.length };
    }
    case 'filter': {
      const matrix = yield* files.matrix(target, clock);
      const ids = yield* matchingIds(matrix, selector.filter, clock);
      let deleted = 0;
      // Each chunk is its own transaction and the deadline is checked between chunks: a
      // delete stopped by its deadline has removed whole chunks, and repeating it finishes it.
      for (let at = 0; at < ids.length; at += DELETE_CHUNK) {
        const gone = files.records(target).deleteIds(target, ids.slice(at, at + DELETE_CHUNK));
        forgetRows(files, target, gone);
        deleted += gone.length;
        if (clock.over()) yield;
      }
      return { deleted };
    }
    case 'all': {
      files.cache.delete(target);
      const deleted = yield* inChunks(clock, () =>
        files.records(target).deleteSome(target, DELETE_CHUNK),
      );
      return { deleted };
    }
  }
}

/** Erasure: deletes the tenant's rows of every namespace, a chunk per transaction. */
export function eraseTenantRows(
  files: EngineFiles,
  target: EngineTarget,
  clock: SliceClock,
): Job<number> {
  return inChunks(clock, () => files.records(target).eraseSome(target.tenantUid, DELETE_CHUNK));
}

/** Runs a chunked delete until a chunk comes back short, pausing between chunks. */
function* inChunks(clock: SliceClock, deleteChunk: () => number): Job<number> {
  let deleted = 0;
  for (;;) {
    const n = deleteChunk();
    deleted += n;
    if (n < DELETE_CHUNK) return deleted;
    if (clock.over()) yield;
  }
}

/** Ids of the matrix rows whose metadata passes the filter, evaluated a few rows at a time. */
function* matchingIds(matrix: TenantMatrix, filter: FilterNode, clock: SliceClock): Job<string[]> {
  const rows = yield* rowsMatching(matrix, compileRowFilter(filter), 0, matrix.count, clock);
  return rows.map((row) => matrix.idAt(row));
}

function forgetRows(files: EngineFiles, target: EngineTarget, ids: readonly string[]): void {
  const matrix = files.cache.get(target);
  if (!matrix || ids.length === 0) return;
  const before = matrix.bytes;
  const seqs: number[] = [];
  for (const id of ids) {
    const row = matrix.rowOf(id);
    if (row !== undefined) seqs.push(matrix.seqAt(row));
    matrix.remove(id);
  }
  files.ann.afterRemove(matrix, seqs);
  files.cache.resized(target, before);
}

/**
 * The records of rows read for an answer: their metadata parsed, or left as the stored text
 * when the answer's metadata is large (`metadataAsText`).
 */
export function toRecords(
  rows: readonly RecordRow[],
  options: ReadOptions,
): OnWire<StoredRecord>[] {
  let chars = 0;
  if (options.includeMetadata) for (const row of rows) chars += row.metadata?.length ?? 0;
  const asText = metadataAsText(chars);
  return rows.map((row) => toRecord(row, options, asText));
}

function toRecord(row: RecordRow, options: ReadOptions, asText: boolean): OnWire<StoredRecord> {
  const record: { -readonly [K in keyof OnWire<StoredRecord>]: OnWire<StoredRecord>[K] } = {
    id: row.id,
    tenantUid: row.tenant_uid,
    namespace: row.namespace,
  };
  if (options.includeValues && row.vector) {
    const copy = new Uint8Array(row.vector.byteLength);
    copy.set(row.vector);
    record.values = new Float32Array(copy.buffer);
  }
  if (options.includeMetadata) {
    if (asText) record.metadataText = row.metadata ?? '{}';
    else record.metadata = row.metadata ? (JSON.parse(row.metadata) as Metadata) : {};
  }
  return record;
}
