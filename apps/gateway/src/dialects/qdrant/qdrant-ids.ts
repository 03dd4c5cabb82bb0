import { BadRequestError } from '@vecgate/core';
import { LIMITS } from '@vecgate/search';

/** A Qdrant point id: an unsigned integer or a UUID. */
export type PointId = number | string;

const HYPHENATED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIMPLE_UUID = /^[0-9a-f]{32}$/i;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DECIMAL = /^(?:0|[1-9]\d{0,15})$/;
const DIGITS = /^(?:0|[1-9]\d*)$/;

/**
 * The vecgate record id of a Qdrant point id. An integer is stored as its decimal string (so the
 * v1 id `"42"` and the Qdrant id `42` are one record) and a UUID in its canonical form
 * (lowercase, hyphenated), whatever form the client sent. Integers beyond 2^53 - 1 lose
 * precision in JSON and are refused, like anything that is neither.
 */
export function recordIdOf(id: unknown, field: string): string {
  if (typeof id === 'number') {
    if (Number.isSafeInteger(id) && id >= 0) return String(id);
    throw new BadRequestError('a point id is an unsigned integer up to 2^53 - 1 or a UUID', field);
  }
  const uuid = typeof id === 'string' ? canonicalUuid(id) : undefined;
  if (uuid !== undefined) return uuid;
  throw new BadRequestError('a point id is an unsigned integer or a UUID', field);
}

/**
 * The Qdrant point id of a path, where every id is text: digits in their canonical spelling are
 * the integer id. Any other spelling is refused like a string that is not a UUID, `042`
 * included (Qdrant reads it as 42; here it would be the v1 record "042", which has no Qdrant
 * form and is 400 in a retrieve too).
 */
export function pathPointId(text: string, field: string): PointId {
  const id = DIGITS.test(text) ? Number(text) : text;
  recordIdOf(id, field);
  return id;
}

/**
 * A UUID in the forms Qdrant's parser takes, and no other: hyphenated, 32 hex digits, braced
 * `{hyphenated}`, `urn:uuid:hyphenated`, hex digits in either case. A half-braced or oddly
 * hyphenated string is not a UUID there, so it is none here either.
 */
function canonicalUuid(id: string): string | undefined {
  const inner = id.startsWith('urn:uuid:')
    ? id.slice('urn:uuid:'.length)
    : id.startsWith('{') && id.endsWith('}')
      ? id.slice(1, -1)
      : id;
  const hex = HYPHENATED_UUID.test(inner)
    ? inner.replaceAll('-', '')
    : inner === id && SIMPLE_UUID.test(id)
      ? id
      : undefined;
  if (hex === undefined) return undefined;
  const groups = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
  return [...groups, hex.slice(20)].join('-').toLowerCase();
}

export function recordIdsOf(ids: unknown, field: string): string[] {
  if (!Array.isArray(ids)) throw new BadRequestError('must be an array of point ids', field);
  if (ids.length > LIMITS.maxDeleteIds)
    throw new BadRequestError(`at most ${LIMITS.maxDeleteIds} point ids`, field);
  return ids.map((id, i) => recordIdOf(id, `${field}[${i}]`));
}

/**
 * The Qdrant point id of a stored record: a decimal string answers as a number, a canonical
 * UUID as itself. A record written through v1 under any other id has no Qdrant form: it is
 * left out of every Qdrant answer (undefined here), never reshaped into another id.
 */
export function pointIdOf(recordId: string): PointId | undefined {
  if (DECIMAL.test(recordId)) {
    const n = Number(recordId);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return CANONICAL_UUID.test(recordId) ? recordId : undefined;
}
