import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MetadataValue, StoredRecord } from '@vecgate/isolation';

/**
 * Longest stretch of hashing before the event loop gets a turn: a page of records at the
 * metadata limit takes tens of milliseconds to hash, which would hold every tenant's requests.
 */
export const DIGEST_SLICE_MS = 5;
const DIGEST_MODULUS = 1n << 256n;

/** The count and an order-free digest of ids, vectors and metadata of one place. */
export interface PlaceDigest {
  readonly count: number;
  readonly digest: string;
}

/**
 * Sums records' hashes modulo 2^256 (so the order the backends list them in does not matter),
 * page by page, giving the event loop a turn whenever a slice of hashing is spent.
 */
export class DigestSum {
  private sum = 0n;
  private count = 0;

  constructor(private readonly sliceMs = DIGEST_SLICE_MS) {}

  async add(records: readonly StoredRecord[]): Promise<void> {
    let sliceEnd = performance.now() + this.sliceMs;
    for (const record of records) {
      this.sum = (this.sum + recordHash(record)) % DIGEST_MODULUS;
      this.count++;
      if (performance.now() >= sliceEnd) {
        await nextTurn();
        sliceEnd = performance.now() + this.sliceMs;
      }
    }
  }

  result(): PlaceDigest {
    return { count: this.count, digest: this.sum.toString(16) };
  }
}

/** SHA-256 of a record's namespace, id, vector bytes and canonical metadata, as a number. */
function recordHash(record: StoredRecord): bigint {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([record.namespace, record.id]));
  const values = record.values ?? new Float32Array(0);
  hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  hash.update(canonical(record.metadata ?? {}));
  return BigInt(`0x${hash.digest('hex')}`);
}

/** JSON with object keys sorted at every depth, so two backends' equal metadata hash equal. */
function canonical(value: MetadataValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
