import { Injectable } from '@nestjs/common';
import {
  BadRequestError,
  PayloadTooLargeError,
  TenantBypassError,
  UnprocessableError,
} from '@vecgate/core';
import {
  isMetadataKey,
  Metadata,
  MetadataValue,
  VectorSpace,
  VectorWrite,
} from '@vecgate/isolation';
import { ReservedKeys } from '@vecgate/tenancy';
import { FIELD_NAME_RULE, LIMITS } from '../limits';
import type { MetadataLimit } from '../quota/storage-quota';

/** C0 controls, DEL and C1 controls (U+0080–U+009F, e.g. the one-character ANSI escape CSI). */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
/** Rejects lone surrogates, which are not valid UTF-8 and would be altered in storage. */
const WELL_FORMED = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

/**
 * Checks and converts tenant-plane input: vectors (right dimension, finite bounded values,
 * converted straight into a Float32Array rather than validated element by element through
 * decorators), record ids and metadata (bounded keys, depth, sizes; no reserved keys).
 */
@Injectable()
export class RecordInput {
  constructor(private readonly reserved: ReservedKeys) {}

  vector(values: unknown, space: VectorSpace, field: string): Float32Array {
    if (!Array.isArray(values)) throw new BadRequestError('must be an array of numbers', field);
    if (values.length !== space.dimension) {
      throw new UnprocessableError(
        `has ${values.length} values; this tenant's dimension is ${space.dimension}`,
        field,
      );
    }
    const out = new Float32Array(values.length);
    let norm = 0;
    for (let i = 0; i < values.length; i++) {
      const v: unknown = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new BadRequestError('values must be finite numbers', `${field}[${i}]`);
      }
      if (Math.abs(v) > LIMITS.maxVectorValue) {
        throw new UnprocessableError(
          `|value| must be at most ${LIMITS.maxVectorValue} (scores are computed in float32)`,
          `${field}[${i}]`,
        );
      }
      out[i] = v;
      // The stored float32 value: an input that rounds to zero must count as zero.
      norm += (out[i] as number) * (out[i] as number);
    }
    if (space.metric === 'cosine' && norm === 0) {
      throw new UnprocessableError('a zero vector has no direction under the cosine metric', field);
    }
    return out;
  }

  id(value: unknown, field: string): string {
    if (typeof value !== 'string' || value.length === 0)
      throw new BadRequestError('must be a non-empty string', field);
    if (value.length > LIMITS.maxIdLength) {
      throw new BadRequestError(
        `must be at most ${LIMITS.maxIdLength} UTF-16 code units (a character outside the ` +
          'Basic Multilingual Plane, such as most emoji, counts two)',
        field,
      );
    }
    if (CONTROL_CHARS.test(value))
      throw new BadRequestError('must not contain control characters', field);
    if (!WELL_FORMED.test(value)) throw new BadRequestError('must be well-formed unicode', field);
    return value;
  }

  ids(values: unknown, field: string): string[] {
    if (!Array.isArray(values) || values.length === 0)
      throw new BadRequestError('must be a non-empty array', field);
    if (values.length > LIMITS.maxDeleteIds) {
      throw new PayloadTooLargeError(`at most ${LIMITS.maxDeleteIds} ids per call`, field);
    }
    return values.map((v, i) => this.id(v, `${field}[${i}]`));
  }

  metadata(value: unknown, field: string, limit: MetadataLimit): Metadata | undefined {
    return this.sizedMetadata(value, field, limit).metadata;
  }

  /** The checked metadata and its size as JSON (0 when absent), measured once. */
  private sizedMetadata(
    value: unknown,
    field: string,
    limit: MetadataLimit,
  ): { metadata?: Metadata; size: number } {
    if (value === undefined || value === null) return { size: 0 };
    if (typeof value !== 'object' || Array.isArray(value))
      throw new BadRequestError('must be an object', field);
    if (Object.keys(value).length > LIMITS.maxMetadataKeys) {
      throw new BadRequestError(`has more than ${LIMITS.maxMetadataKeys} keys`, field);
    }
    this.checkValue(value as MetadataValue, field, 1, { left: limit.bytes, limit, field });
    const size = metadataBytes(value as Metadata);
    if (size > limit.bytes) {
      throw new PayloadTooLargeError(
        `is ${size} bytes as JSON; the metadata limit is ${limit.bytes} bytes per record (set by ${limit.setBy})`,
        field,
      );
    }
    return { metadata: value as Metadata, size };
  }

  records(input: unknown, space: VectorSpace, limit: MetadataLimit): VectorWrite[] {
    return this.sizedRecords(input, space, limit).records;
  }

  /**
   * The records, and the stored size of each (see `storedBytes`), measured once. An id given
   * twice is refused, unless `duplicates` is `last`: then every record is checked and the last
   * of each id is kept (Qdrant's upsert does so).
   */
  sizedRecords(
    input: unknown,
    space: VectorSpace,
    limit: MetadataLimit,
    duplicates: Duplicates = 'refuse',
  ): { records: VectorWrite[]; bytes: number[] } {
    const batch = writeBatch(input);
    const seen = new Set<string>();
    const bytes: number[] = [];
    const records = batch.map((item: unknown, i): VectorWrite => {
      const at = `vectors[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        throw new BadRequestError('must be an object', at);
      const record = item as Record<string, unknown>;
      const unknown = Object.keys(record).find(
        (key) => key !== 'id' && key !== 'values' && key !== 'metadata',
      );
      if (unknown !== undefined)
        throw new BadRequestError(`unknown property "${unknown}"`, `${at}.${unknown}`);
      const id = this.id(record.id, `${at}.id`);
      if (seen.has(id) && duplicates === 'refuse')
        throw new BadRequestError(`id "${id}" appears twice in this batch`, `${at}.id`);
      seen.add(id);
      const values = this.vector(record.values, space, `${at}.values`);
      const { metadata, size } = this.sizedMetadata(record.metadata, `${at}.metadata`, limit);
      bytes.push(space.dimension * 4 + size);
      return metadata === undefined ? { id, values } : { id, values, metadata };
    });
    return seen.size === records.length ? { records, bytes } : lastOfEach(records, bytes);
  }

  /**
   * Checks one metadata value. `size` counts down the fewest bytes of JSON what was checked
   * takes (a key's characters and its quotes, colon and comma; a string's characters and
   * quotes; one per other value): once it passes the limit the metadata is over it whatever
   * the rest holds, and is refused there, so a record of a hundred thousand keys is not walked
   * whole before its 413.
   */
  private checkValue(value: MetadataValue, field: string, depth: number, size: SizeLeft): void {
    if (typeof value !== 'string') spend(size, 1);
    if (value === null || typeof value === 'boolean') return;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new BadRequestError('numbers must be finite', field);
      return;
    }
    if (typeof value === 'string') {
      if (value.length > LIMITS.maxMetadataString) {
        throw new BadRequestError(
          `strings are at most ${LIMITS.maxMetadataString} characters`,
          field,
        );
      }
      if (!WELL_FORMED.test(value))
        throw new BadRequestError('strings must be well-formed unicode', field);
      spend(size, value.length + 2);
      return;
    }
    if (depth > LIMITS.maxMetadataDepth) {
      throw new BadRequestError(
        `metadata is nested deeper than ${LIMITS.maxMetadataDepth} levels`,
        field,
      );
    }
    if (Array.isArray(value)) {
      if (value.length > LIMITS.maxMetadataArray) {
        throw new BadRequestError(`arrays hold at most ${LIMITS.maxMetadataArray} items`, field);
      }
      value.forEach((item, i) => this.checkValue(item, `${field}[${i}]`, depth + 1, size));
      return;
    }
    if (typeof value !== 'object') throw new BadRequestError('unsupported metadata value', field);
    for (const [key, item] of Object.entries(value)) {
      spend(size, key.length + 4);
      const at = `${field}.${key}`;
      if (this.reserved.isReserved(key)) {
        throw new TenantBypassError(`metadata key "${key}" is reserved`, at);
      }
      if (!isMetadataKey(key))
        throw new BadRequestError(`metadata keys must match ${FIELD_NAME_RULE}`, at);
      this.checkValue(item, at, depth + 1, size);
    }
  }
}

/** What is left of a record's metadata limit while its metadata (at `field`) is checked. */
interface SizeLeft {
  left: number;
  readonly limit: MetadataLimit;
  readonly field: string;
}

function spend(size: SizeLeft, bytes: number): void {
  size.left -= bytes;
  if (size.left >= 0) return;
  const { bytes: limit, setBy } = size.limit;
  throw new PayloadTooLargeError(
    `is more than ${limit} bytes as JSON; the metadata limit is ${limit} bytes per record ` +
      `(set by ${setBy})`,
    size.field,
  );
}

/** A metadata object's size as JSON, in UTF-8 bytes: what its limit and quotas count. */
export function metadataBytes(metadata: Metadata | undefined): number {
  return metadata === undefined ? 0 : Buffer.byteLength(JSON.stringify(metadata));
}

/** A record's size for storage quotas: dimension × 4 bytes of float32 plus its metadata JSON. */
export function storedBytes(space: VectorSpace, metadata: Metadata | undefined): number {
  return space.dimension * 4 + metadataBytes(metadata);
}

/**
 * The records of one write: a non-empty array of at most LIMITS.maxBatch items. Checked before
 * any record is looked at, so an oversized batch costs no work per record.
 */
export function writeBatch(input: unknown): unknown[] {
  if (!Array.isArray(input) || input.length === 0)
    throw new BadRequestError('must be a non-empty array', 'vectors');
  if (input.length > LIMITS.maxBatch) {
    throw new PayloadTooLargeError(
      `at most ${LIMITS.maxBatch} vectors per call; got ${input.length}`,
      'vectors',
    );
  }
  return input;
}

/** What a batch naming one id twice gets: a 400, or the last record of each id written. */
export type Duplicates = 'refuse' | 'last';

/** The last record of each id, in batch order, with its size. */
function lastOfEach(
  records: VectorWrite[],
  bytes: number[],
): { records: VectorWrite[]; bytes: number[] } {
  const last = new Map<string, number>();
  records.forEach((record, i) => last.set(record.id, i));
  const kept = [...last.values()].sort((a, b) => a - b);
  return {
    records: kept.map((i) => records[i] as VectorWrite),
    bytes: kept.map((i) => bytes[i] as number),
  };
}
