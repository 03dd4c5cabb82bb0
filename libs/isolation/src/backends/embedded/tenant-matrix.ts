/**
 * One tenant's vectors as a dense row-major Float32 matrix, the layout usearch's exact search
 * scans with SIMD kernels. Rows keep the id and the tenant uid exactly as read from storage.
 */
export class TenantMatrix {
  private data: Float32Array;
  private rows = 0;
  private readonly ids: string[] = [];
  private readonly storedUids: string[] = [];
  private readonly index = new Map<string, number>();

  constructor(
    readonly dimension: number,
    capacity = 16,
  ) {
    this.data = new Float32Array(Math.max(1, capacity) * dimension);
  }

  get count(): number {
    return this.rows;
  }

  /** Approximate heap use: the matrix plus per-row bookkeeping. */
  get bytes(): number {
    return this.data.byteLength + this.rows * 160;
  }

  /** Inserts or replaces a row from raw little-endian float32 bytes or a Float32Array. */
  put(id: string, storedUid: string, values: Float32Array | Uint8Array): void {
    let row = this.index.get(id);
    if (row === undefined) {
      row = this.rows++;
      this.ensureCapacity(this.rows);
      this.ids[row] = id;
      this.index.set(id, row);
    }
    this.storedUids[row] = storedUid;
    if (values instanceof Float32Array) {
      this.data.set(values, row * this.dimension);
    } else {
      new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength).set(
        values,
        row * this.dimension * 4,
      );
    }
  }

  remove(id: string): void {
    const row = this.index.get(id);
    if (row === undefined) return;
    const last = this.rows - 1;
    if (row !== last) {
      const lastId = this.ids[last] as string;
      this.data.copyWithin(
        row * this.dimension,
        last * this.dimension,
        (last + 1) * this.dimension,
      );
      this.ids[row] = lastId;
      this.storedUids[row] = this.storedUids[last] as string;
      this.index.set(lastId, row);
    }
    this.ids.pop();
    this.storedUids.pop();
    this.index.delete(id);
    this.rows = last;
  }

  rowOf(id: string): number | undefined {
    return this.index.get(id);
  }

  idAt(row: number): string {
    return this.ids[row] as string;
  }

  storedUidAt(row: number): string {
    return this.storedUids[row] as string;
  }

  valuesAt(row: number): Float32Array {
    return this.data.slice(row * this.dimension, (row + 1) * this.dimension);
  }

  /** The first `count` rows, without copying. */
  matrix(): Float32Array {
    return this.data.subarray(0, this.rows * this.dimension);
  }

  /** A compact copy of the given rows, for scanning a filtered subset. */
  gather(rows: readonly number[]): Float32Array {
    const out = new Float32Array(rows.length * this.dimension);
    rows.forEach((row, i) => {
      out.set(
        this.data.subarray(row * this.dimension, (row + 1) * this.dimension),
        i * this.dimension,
      );
    });
    return out;
  }

  private ensureCapacity(rows: number): void {
    if (rows * this.dimension <= this.data.length) return;
    const next = new Float32Array(
      Math.max(rows, (this.data.length / this.dimension) * 2) * this.dimension,
    );
    next.set(this.data);
    this.data = next;
  }
}
