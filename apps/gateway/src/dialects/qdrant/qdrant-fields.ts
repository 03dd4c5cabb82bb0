import { BadRequestError } from '@vecgate/core';
import { unknownField } from '../field-names';

/**
 * The fields of Qdrant's request bodies, as the OpenAPI schema of clients 1.18 and 1.19 types
 * them (`PointsList`, `PointRequest`, `SearchRequest`, ...). A field outside its list is a 400
 * naming it, never ignored: a misspelt `filter` would otherwise widen a search or a count to
 * the whole collection, and a misspelt `with_payload` change what comes back. Listed fields
 * vecgate does not serve are refused by the call itself, each with its own message.
 */
export const QDRANT_FIELDS = {
  upsert: ['points', 'batch', 'shard_key', 'update_filter', 'update_mode'],
  point: ['id', 'vector', 'payload'],
  batch: ['ids', 'vectors', 'payloads'],
  retrieve: ['ids', 'with_payload', 'with_vector', 'shard_key'],
  delete: ['points', 'filter', 'shard_key'],
  query: [
    'shard_key',
    'prefetch',
    'query',
    'using',
    'filter',
    'params',
    'score_threshold',
    'limit',
    'offset',
    'with_vector',
    'with_payload',
    'lookup_from',
    // Not a field of `points/query` (grouping is `points/query/groups`); refused by name.
    'group_by',
  ],
  nearest: ['nearest', 'mmr'],
  mmr: ['diversity', 'candidates_limit'],
  search: [
    'shard_key',
    'vector',
    'filter',
    'params',
    'limit',
    'offset',
    'with_payload',
    'with_vector',
    'score_threshold',
  ],
  params: ['hnsw_ef', 'exact', 'quantization', 'indexed_only', 'acorn', 'idf'],
  scroll: ['shard_key', 'offset', 'limit', 'filter', 'with_payload', 'with_vector', 'order_by'],
  count: ['shard_key', 'filter', 'exact'],
} as const satisfies Record<string, readonly string[]>;

/**
 * 400 naming, as sent (`at` its path), the first field of `value` (an object) that `known`
 * does not list; `owner` says whose fields they are. A field sent as `null` asks for nothing
 * and passes (a newer client may send its own fields unset that way). Anything but an object
 * is left to the caller's own type check.
 */
export function refuseUnknown(
  value: unknown,
  known: readonly string[],
  at: string,
  owner: string,
): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const unknown = unknownField(value as Record<string, unknown>, known, true);
  if (unknown !== undefined)
    throw new BadRequestError(
      `${at}${unknown} is not a field of ${owner} (it takes ${known.join(', ')})`,
      `${at}${unknown}`,
    );
}
