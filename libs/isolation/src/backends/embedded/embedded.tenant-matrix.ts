import { Metadata } from '../../ports/vector.types';
import type { AnnIndex } from './embedded.ann-index';

/** Bytes of vector data per chunk: one chunk is scanned in well under a millisecond. */
export const CHUNK_BYTES = 2 * 1024 * 1024;

/** Bookkeeping per row besides its vector: id, stored owner, index entry, metadata reference. */
const ROW_OVERHEAD = 160;

/** A run of consecutive rows, in an ArrayBuffer of its own (byteOffset 0), ready to scan. */
export interface MatrixChunk {
  readonly data: Float32Array;
  readonly firstRow: number;
  readonly rows: number;
}

/** Who a row belongs to, as read back from storage (or as written, for a mirrored write). */
export interface RowOwner {
  readonly tenantUid: string;
  readonly namespace: string;
}

/**
 * The vectors of one namespace of one tenant as row-major Float32 chunks, the layout usearch's
 * exact search scans with SIMD kernels, plus each row's id, stored owner (tenant uid and
 * namespace, for result validation) and parsed metadata (for filters).
 * Every chunk owns its ArrayBuffer because usearch ignores a typed array's byteOffset: a
 * subarray starting at row 4 would be scanned from row 0.
 */
export class TenantMatrix {
  readonly rowsPerChunk: number;
  private readonly chunks: Float32Array[] = [];
  private rows = 0;
  private readonly ids: string[] = [];
  private readonly owners: RowOwner[] = [];
  private readonly seqs: number[] = [];
  private readonly metadata: (Metadata | undefined)[] = [];
  private readonly metadataSizes: number[] = [];
  private metadataBytes = 0;
  private readonly index = new Map<string, number>();
  private readonly bySeq = new Map<number, number>();
  /** The HNSW graph searches use, once complete; kept up to date with every write. */
  ann?: AnnIndex;
  /** A graph being built (first build or compaction), also kept up to date with writes. */
  building?: AnnIndex;

  constructor(
    readonly dimension: number,
    rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / (dimension * 4))),
  ) {
    this.rowsPerChunk = rowsPerChunk;
  }

  get count(): number {
    return this.rows;
  }

  get chunkCount(): number {
    return Math.ceil(this.rows / this.rowsPerChunk);
  }

  /** Approximate memory use: chunks, per-row bookkeeping, parsed metadata and HNSW graphs. */
  get bytes(): number {
    let data = (this.ann?.bytes ?? 0) + (this.building?.bytes ?? 0);
    for (const chunk of this.chunks) data += chunk.byteLength;
    return data + this.rows * ROW_OVERHEAD + this.metadataBytes;
  }

  /**
   * Inserts or replaces a row from raw little-endian float32 bytes or a Float32Array. `seq` is
   * the record's rowid (it breaks ties between equal scores, oldest record first, the same
   * before and after a restart); `metadataSize` is the length of its metadata's JSON text,
   * counted in the memory budget.
   */
  put(
    id: string,
    owner: RowOwner,
    values: Float32Array | Uint8Array,
    metadata: Metadata | undefined,
    metadataSize: number,
    seq: number,
  ): void {
    let row = this.index.get(id);
    if (row === undefined) {
      row = this.rows++;
      this.ensureCapacity(this.rows);
      this.ids[row] = id;
      this.index.set(id, row);
      this.metadataSizes[row] = 0;
    }
    this.owners[row] = owner;
    if (this.seqs[row] !== seq) this.bySeq.delete(this.seqs[row] as number);
    this.seqs[row] = seq;
    this.bySeq.set(seq, row);
    this.metadata[row] = metadata;
    this.metadataBytes += metadataSize * 2 - (this.metadataSizes[row] as number);
    this.metadataSizes[row] = metadataSize * 2;
    const { chunk, offset } = this.locate(row);
    if (values instanceof Float32Array) {
      chunk.set(values, offset);
    } else {
      new Uint8Array(chunk.buffer).set(values, offset * 4);
    }
  }

  /** Removes a row by moving the last row into its place. */
  remove(id: string): void {
    const row = this.index.get(id);
    if (row === undefined) return;
    const last = this.rows - 1;
    this.metadataBytes -= this.metadataSizes[row] as number;
    this.bySeq.delete(this.seqs[row] as number);
    if (row !== last) {
      const lastId = this.ids[last] as string;
      const from = this.locate(last);
      const to = this.locate(row);
      to.chunk.set(from.chunk.subarray(from.offset, from.offset + this.dimension), to.offset);
      this.ids[row] = lastId;
      this.owners[row] = this.owners[last] as RowOwner;
      this.seqs[row] = this.seqs[last] as number;
      this.metadata[row] = this.metadata[last];
      this.metadataSizes[row] = this.metadataSizes[last] as number;
      this.index.set(lastId, row);
      this.bySeq.set(this.seqs[row], row);
    }
    this.ids.pop();
    this.owners.pop();
    this.seqs.pop();
    this.metadata.pop();
    this.metadataSizes.pop();
    this.index.delete(id);
    this.rows = last;
    this.releaseEmptyChunks();
  }

  rowOf(id: string): number | undefined {
    return this.index.get(id);
  }

  /** The row of the record with this sequence (an HNSW key), if it is still here. */
  rowOfSeq(seq: number): number | undefined {
    return this.bySeq.get(seq);
  }

  idAt(row: number): string {
    return this.ids[row] as string;
  }

  ownerAt(row: number): RowOwner {
    return this.owners[row] as RowOwner;
  }

  seqAt(row: number): number {
    return this.seqs[row] as number;
  }

  metadataAt(row: number): Metadata | undefined {
    return this.metadata[row];
  }

  /** Characters of the row's metadata JSON, as stored (0 without metadata). */
  metadataCharsAt(row: number): number {
    return (this.metadataSizes[row] ?? 0) / 2;
  }

  valuesAt(row: number): Float32Array {
    const { chunk, offset } = this.locate(row);
    return chunk.slice(offset, offset + this.dimension);
  }

  /** The used rows of chunk `index`, without copying (the view starts at byteOffset 0). */
  chunk(index: number): MatrixChunk {
    const firstRow = index * this.rowsPerChunk;
    const rows = Math.min(this.rowsPerChunk, this.rows - firstRow);
    const data = (this.chunks[index] as Float32Array).subarray(0, rows * this.dimension);
    return { data, firstRow, rows };
  }

  private locate(row: number): { chunk: Float32Array; offset: number } {
    const chunk = this.chunks[Math.floor(row / this.rowsPerChunk)] as Float32Array;
    return { chunk, offset: (row % this.rowsPerChunk) * this.dimension };
  }

  /** Full chunks have `rowsPerChunk` rows; the last one grows by doubling up to that size. */
  private ensureCapacity(rows: number): void {
    const needed = Math.ceil(rows / this.rowsPerChunk);
    const lastIndex = needed - 1;
    for (let i = 0; i < lastIndex; i++) {
      const full = this.rowsPerChunk * this.dimension;
      const current = this.chunks[i];
      if (!current) this.chunks[i] = new Float32Array(full);
      else if (current.length < full) this.chunks[i] = grown(current, full);
    }
    const lastRows = rows - lastIndex * this.rowsPerChunk;
    const current = this.chunks[lastIndex];
    if (!current) {
      this.chunks[lastIndex] = new Float32Array(
        Math.min(this.rowsPerChunk, Math.max(16, lastRows)) * this.dimension,
      );
    } else if (current.length < lastRows * this.dimension) {
      const next = Math.min(this.rowsPerChunk, (current.length / this.dimension) * 2);
      this.chunks[lastIndex] = grown(current, Math.max(next, lastRows) * this.dimension);
    }
  }

  private releaseEmptyChunks(): void {
    const needed = Math.ceil(this.rows / this.rowsPerChunk);
    // Keep one empty chunk past the end, so a delete and insert at a boundary do not thrash.
    while (this.chunks.length > needed + 1) this.chunks.pop();
  }
}

function grown(current: Float32Array, length: number): Float32Array {
  const next = new Float32Array(length);
  next.set(current);
  return next;
}
