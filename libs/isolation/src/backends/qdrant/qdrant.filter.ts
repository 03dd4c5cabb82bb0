import type { Schemas } from '@qdrant/js-client-rest';
import { FilterNode, Scalar } from '../../ports/vector.types';
import { KEYS_FIELD, METADATA_FIELD } from './qdrant.payload';

export type QdrantCondition = Schemas['Condition'];
export type QdrantFilter = Schemas['Filter'];

/** The filter field grammar (the filter parser's); anything else never reaches a JSON path. */
const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const RANGE_OP = { $gt: 'gt', $gte: 'gte', $lt: 'lt', $lte: 'lte' } as const;

/**
 * Translates a validated filter into a Qdrant condition, or `null` when it can match no
 * record (a range on a non-number, an empty `$in`): the caller then skips the call.
 *
 * The semantics are the embedded backend's (embedded.filter.ts), by construction:
 * - equality is type-strict: strings and booleans use `match.value` (Qdrant compares within
 *   the JSON type), numbers use a closed `range` (Qdrant's integer-only `match` would miss
 *   5.0 stored as a float, and cannot take 5.5);
 * - a missing or null field, or an object, fails every comparison: Qdrant's match and range
 *   are false there;
 * - on an array field a comparison holds when it holds for one element (Qdrant checks each
 *   element of an array, one level deep, as SQLite's `json_each` does);
 * - `$ne`/`$nin` hold when the field is comparable (listed in `_vg_keys`) and no element
 *   equals: a `must_not` alone would also match missing, null and object fields;
 * - values are JSON data in the request body; field names are checked against the filter
 *   grammar and always land under `metadata.`, so no system field can be addressed.
 */
export function translateFilter(node: FilterNode): QdrantCondition | null {
  switch (node.op) {
    case '$and': {
      if (node.nodes.length === 0) throw new Error('an $and filter needs at least one clause');
      const parts: QdrantCondition[] = [];
      for (const child of node.nodes) {
        const part = translateFilter(child);
        if (part === null) return null;
        parts.push(part);
      }
      return parts.length === 1 ? (parts[0] as QdrantCondition) : { must: parts };
    }
    case '$or': {
      if (node.nodes.length === 0) throw new Error('an $or filter needs at least one clause');
      const parts = node.nodes
        .map((child) => translateFilter(child))
        .filter((part): part is QdrantCondition => part !== null);
      if (parts.length === 0) return null;
      return parts.length === 1 ? (parts[0] as QdrantCondition) : { should: parts };
    }
    case '$eq':
      return anyOf(equalities(node.field, [node.value]));
    case '$in':
      return anyOf(equalities(node.field, node.values));
    case '$ne':
      return noneOf(node.field, equalities(node.field, [node.value]));
    case '$nin':
      return noneOf(node.field, equalities(node.field, node.values));
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      // Ranges take numbers only: anything else matches nothing, as in SQLite.
      if (typeof node.value !== 'number' || !Number.isFinite(node.value)) return null;
      return { key: metadataKey(node.field), range: { [RANGE_OP[node.op]]: node.value } };
  }
}

export function metadataKey(field: string): string {
  if (!FIELD.test(field)) throw new Error(`invalid filter field name ${JSON.stringify(field)}`);
  return `${METADATA_FIELD}.${field}`;
}

/** One condition per group of values; the field equals one of `values` when any holds. */
function equalities(field: string, values: readonly Scalar[]): QdrantCondition[] {
  const key = metadataKey(field);
  const strings = [...new Set(values.filter((v): v is string => typeof v === 'string'))];
  const numbers = [...new Set(values.filter((v): v is number => typeof v === 'number'))];
  const booleans = [...new Set(values.filter((v): v is boolean => typeof v === 'boolean'))];
  const conditions: QdrantCondition[] = [];
  if (strings.length === 1) conditions.push({ key, match: { value: strings[0] as string } });
  if (strings.length > 1) conditions.push({ key, match: { any: strings } });
  for (const n of numbers) {
    if (!Number.isFinite(n)) continue; // no stored JSON number equals a non-finite one
    conditions.push({ key, range: { gte: n, lte: n } });
  }
  for (const b of booleans) conditions.push({ key, match: { value: b } });
  return conditions;
}

function anyOf(conditions: QdrantCondition[]): QdrantCondition | null {
  if (conditions.length === 0) return null;
  return conditions.length === 1 ? (conditions[0] as QdrantCondition) : { should: conditions };
}

function noneOf(field: string, equal: QdrantCondition[]): QdrantCondition {
  const comparable: QdrantCondition = { key: KEYS_FIELD, match: { value: field } };
  return equal.length === 0 ? { must: [comparable] } : { must: [comparable], must_not: equal };
}
