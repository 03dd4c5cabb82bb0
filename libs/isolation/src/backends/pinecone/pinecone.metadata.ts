import type { PineconeRecord, RecordMetadata } from '@pinecone-database/pinecone';
import { BackendError, UnprocessableError } from '@vecgate/core';
import { comparableFields } from '../../ports/metadata-fields';
import { DEFAULT_NAMESPACE, Metadata, ReadOptions, StoredRecord } from '../../ports/vector.types';
import { TENANT_FIELD } from '../../ports/backend-rules';
export { TENANT_FIELD } from '../../ports/backend-rules';

/**
 * How a record's metadata is stored in Pinecone, whose metadata holds only strings, numbers,
 * booleans and lists of strings, and whose filters are not type-strict the way vecgate's are.
 *
 * - `_vg_tenant`: the tenant uid, written on every record and read back on every read.
 * - `_vg_ns`: the namespace name, on every record outside the default namespace (a record
 *   without it, such as one written before namespaces existed, is in the default namespace).
 * - `_vg_md`: the caller's metadata as JSON, so nulls, nesting and arrays of any type come
 *   back exactly as written.
 * - For each top-level field `f` holding a comparable value (a scalar or an array), a typed
 *   projection the filter translation addresses, one field per JSON type so that comparisons
 *   stay type-strict (`"5"` never equals `5`, `true` never equals `1`):
 *   `_vg_s_f` the strings (a list), `_vg_n_f` the numbers as canonical strings (a list, for
 *   equality), `_vg_lo_f` / `_vg_hi_f` the smallest and largest number (for ranges: "some
 *   element is > x" is "the largest is > x"), `_vg_b_f` the booleans as "true"/"false".
 * - `_vg_has`: the names of the fields holding a comparable value, so that `$ne` / `$nin` can
 *   require the field to exist (a missing field matches no comparison) and `$exists` can test
 *   it.
 *
 * Caller keys never start with `_vg` (the gateway refuses such names), so the two never meet.
 */
export const JSON_FIELD = '_vg_md';
export const HAS_FIELD = '_vg_has';
export const NAMESPACE_FIELD = '_vg_ns';
/** What a `_vg_ns` that is not a string reads back as: no scope's namespace is called that. */
const UNREADABLE_NAMESPACE = '_vg_unreadable';

export const fieldKeys = {
  strings: (field: string) => `_vg_s_${field}`,
  numbers: (field: string) => `_vg_n_${field}`,
  low: (field: string) => `_vg_lo_${field}`,
  high: (field: string) => `_vg_hi_${field}`,
  booleans: (field: string) => `_vg_b_${field}`,
};

/** Pinecone's limit on one record's metadata. */
export const MAX_METADATA_BYTES = 40 * 1024;
/** The canonical text of a number: the same for every spelling of one float64 (-0 is 0). */
export function canonicalNumber(value: number): string {
  return String(value === 0 ? 0 : value);
}

export function encodeMetadata(
  tenantUid: string,
  metadata: Metadata | undefined,
  recordId: string,
  namespace: string,
): RecordMetadata {
  const out: RecordMetadata = { [TENANT_FIELD]: tenantUid };
  if (namespace !== DEFAULT_NAMESPACE) out[NAMESPACE_FIELD] = namespace;
  if (metadata === undefined) return out;
  out[JSON_FIELD] = JSON.stringify(metadata);
  const present: string[] = [];
  for (const [field, value] of comparableFields(metadata)) {
    const elements = (Array.isArray(value) ? value : [value]).filter(
      (v): v is string | number | boolean =>
        typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean',
    );
    present.push(field);
    const strings = elements.filter((v): v is string => typeof v === 'string');
    const numbers = elements.filter((v): v is number => typeof v === 'number');
    const booleans = elements.filter((v): v is boolean => typeof v === 'boolean');
    if (strings.length > 0) out[fieldKeys.strings(field)] = unique(strings);
    if (numbers.length > 0) {
      out[fieldKeys.numbers(field)] = unique(numbers.map(canonicalNumber));
      out[fieldKeys.low(field)] = Math.min(...numbers);
      out[fieldKeys.high(field)] = Math.max(...numbers);
    }
    if (booleans.length > 0) out[fieldKeys.booleans(field)] = unique(booleans.map(String));
  }
  if (present.length > 0) out[HAS_FIELD] = present;
  const size = Buffer.byteLength(JSON.stringify(out));
  if (size > MAX_METADATA_BYTES) {
    // Checked here so the caller gets a clear answer rather than Pinecone's 400 (502).
    throw new UnprocessableError(
      `record "${recordId}": its metadata takes ${size} bytes in Pinecone (with the gateway's ` +
        `filter fields); Pinecone allows ${MAX_METADATA_BYTES}`,
      'metadata',
    );
  }
  return out;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** The tenant uid exactly as stored ('' when absent: never replaced by the caller's). */
export function storedTenant(metadata: RecordMetadata | undefined): string {
  const value = metadata?.[TENANT_FIELD];
  return typeof value === 'string' ? value : '';
}

/** The namespace exactly as stored: its name, or the default namespace when absent. */
export function storedNamespace(metadata: RecordMetadata | undefined): string {
  const value = metadata?.[NAMESPACE_FIELD];
  if (value === undefined) return DEFAULT_NAMESPACE;
  return typeof value === 'string' ? value : UNREADABLE_NAMESPACE;
}

/** The caller's metadata as written ({} when it wrote none). */
export function decodeMetadata(metadata: RecordMetadata | undefined, recordId: string): Metadata {
  const json = metadata?.[JSON_FIELD];
  if (json === undefined) return {};
  if (typeof json !== 'string') {
    throw new BackendError(`pinecone record "${recordId}" holds metadata the gateway cannot read`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new BackendError(`pinecone record "${recordId}" holds metadata the gateway cannot read`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BackendError(`pinecone record "${recordId}" holds metadata the gateway cannot read`);
  }
  return parsed as Metadata;
}

/** A record as read: the stored tenant uid and namespace, values and metadata when asked for. */
export function toStored(record: PineconeRecord, options: ReadOptions): StoredRecord {
  const out: { -readonly [K in keyof StoredRecord]: StoredRecord[K] } = {
    id: record.id,
    tenantUid: storedTenant(record.metadata),
    namespace: storedNamespace(record.metadata),
  };
  if (options.includeValues && record.values) out.values = Float32Array.from(record.values);
  if (options.includeMetadata) out.metadata = decodeMetadata(record.metadata, record.id);
  return out;
}
