import { BadRequestError } from '@vecgate/core';
import { DEFAULT_NAMESPACE, FilterNode, Scalar } from '../../ports/vector.types';
import {
  canonicalNumber,
  fieldKeys,
  HAS_FIELD,
  NAMESPACE_FIELD,
  TENANT_FIELD,
} from './pinecone.metadata';

/** A Pinecone metadata filter: a JSON object in Pinecone's MongoDB-like language. */
export type PineconeFilter = { readonly [key: string]: unknown };

/** A clause no record can satisfy (a range on a string, `$in` over no value...). */
export const NOTHING = Symbol('matches nothing');
export type Compiled = PineconeFilter | typeof NOTHING;

const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The tenant condition: the record's tenant uid, and its namespace (`_vg_ns` equal to the
 * name, or absent for the default namespace, whose records carry none).
 */
export function scopeCondition(tenantUid: string, namespace: string): PineconeFilter {
  return {
    [TENANT_FIELD]: { $eq: tenantUid },
    [NAMESPACE_FIELD]: namespace === DEFAULT_NAMESPACE ? { $exists: false } : { $eq: namespace },
  };
}

/**
 * The filter sent with a tenant's query: `{$and: [tenant condition, user filter]}`, never a
 * merge of the two objects, so no user clause can replace or shadow the tenant's. `NOTHING`
 * when the user filter can match no record (the caller then skips the call).
 */
export function tenantFilter(tenantUid: string, namespace: string, filter?: FilterNode): Compiled {
  const tenant = scopeCondition(tenantUid, namespace);
  if (!filter) return tenant;
  const user = compilePineconeFilter(filter);
  if (user === NOTHING) return NOTHING;
  return { $and: [tenant, user] };
}

/**
 * Translates a validated filter into Pinecone's language over the typed fields written by
 * `encodeMetadata`, with the semantics every vecgate backend shares: comparisons within one
 * JSON type; a missing field matches nothing, `$ne` and `$nin` included; on an array field a
 * comparison holds when it holds for some element, and `$ne` / `$nin` when no element equals;
 * ranges on numbers only. Values travel as JSON values; field names only as a suffix of our
 * own prefixed keys, after checking them against the gateway's key pattern.
 */
export function compilePineconeFilter(node: FilterNode): Compiled {
  switch (node.op) {
    case '$and': {
      const parts = node.nodes.map(compilePineconeFilter);
      if (parts.some((p) => p === NOTHING)) return NOTHING;
      return single(parts as PineconeFilter[], '$and');
    }
    case '$or': {
      const parts = node.nodes.map(compilePineconeFilter).filter((p) => p !== NOTHING);
      if (parts.length === 0) return NOTHING;
      return single(parts, '$or');
    }
    case '$eq':
      return anyEquals(checked(node.field), [node.value]);
    case '$in':
      return anyEquals(checked(node.field), node.values);
    case '$ne':
      return noneEquals(checked(node.field), [node.value]);
    case '$nin':
      return noneEquals(checked(node.field), node.values);
    case '$gt':
    case '$gte':
      // Some element is greater than x exactly when the largest one is.
      if (typeof node.value !== 'number') return NOTHING;
      return { [fieldKeys.high(checked(node.field))]: { [node.op]: node.value } };
    case '$lt':
    case '$lte':
      if (typeof node.value !== 'number') return NOTHING;
      return { [fieldKeys.low(checked(node.field))]: { [node.op]: node.value } };
  }
}

function single(parts: PineconeFilter[], op: '$and' | '$or'): PineconeFilter {
  return parts.length === 1 ? (parts[0] as PineconeFilter) : { [op]: parts };
}

/** Defence in depth: the parser already refuses such names; a key here is never a `_vg` one. */
function checked(field: string): string {
  if (!FIELD.test(field) || field.toLowerCase().startsWith('_vg')) {
    throw new BadRequestError(`filter field "${field}" is not allowed`, 'filter');
  }
  return field;
}

interface Typed {
  readonly key: string;
  readonly values: readonly string[];
}

/** The listed values grouped by JSON type, each group under its typed field. */
function typed(field: string, values: readonly Scalar[]): Typed[] {
  const strings = new Set<string>();
  const numbers = new Set<string>();
  const booleans = new Set<string>();
  for (const value of values) {
    if (typeof value === 'string') strings.add(value);
    else if (typeof value === 'number') numbers.add(canonicalNumber(value));
    else booleans.add(String(value));
  }
  const out: Typed[] = [];
  if (strings.size > 0) out.push({ key: fieldKeys.strings(field), values: [...strings] });
  if (numbers.size > 0) out.push({ key: fieldKeys.numbers(field), values: [...numbers] });
  if (booleans.size > 0) out.push({ key: fieldKeys.booleans(field), values: [...booleans] });
  return out;
}

/** Some element equals one of the values (`$in` on a list field is "some element in"). */
function anyEquals(field: string, values: readonly Scalar[]): Compiled {
  const parts = typed(field, values).map(({ key, values: v }) => ({ [key]: { $in: v } }));
  if (parts.length === 0) return NOTHING;
  return single(parts, '$or');
}

/**
 * The field exists and no element equals any of the values. Each typed list is either absent
 * (the field holds no value of that type) or holds none of them; the `$exists: false` branch
 * makes this independent of how Pinecone treats `$nin` on a missing field.
 */
function noneEquals(field: string, values: readonly Scalar[]): PineconeFilter {
  const clauses: PineconeFilter[] = [{ [HAS_FIELD]: { $in: [field] } }];
  for (const { key, values: v } of typed(field, values)) {
    clauses.push({ $or: [{ [key]: { $exists: false } }, { [key]: { $nin: v } }] });
  }
  return single(clauses, '$and');
}
