import { FieldReader, fieldReader, isComparable } from '../../ports/metadata-fields';
import { FilterNode, Metadata, MetadataValue, Scalar } from '../../ports/vector.types';

/** Tests one record's metadata against a compiled filter. */
export type RowPredicate = (metadata: Metadata | undefined) => boolean;

/** Membership of a scalar in a set of filter values, each compared within its own JSON type. */
type Member = (value: Scalar) => boolean;

/**
 * Compiles a validated filter once per request into a predicate over parsed metadata, for
 * evaluating filters in memory beside a tenant's vector matrix instead of in SQLite.
 *
 * The semantics are exactly those of `compileSqliteFilter`, the same on every backend: a
 * dotted field is the literal key when the record has it, else the nested path
 * (`metadata-fields.ts`); values compare within their own JSON type ("5" is not 5); a field
 * missing from a record, or holding null or an object, makes every comparison false, `$ne` and
 * `$nin` included, and `$exists: false` true; on an array field a comparison holds when it
 * holds for one element, and `$ne` / `$nin` hold when no element equals. Set membership uses
 * hash sets, so a record costs one lookup per array item and clause however many values a
 * `$in` lists.
 */
export function compileRowFilter(filter: FilterNode): RowPredicate {
  switch (filter.op) {
    case '$and': {
      const parts = filter.nodes.map(compileRowFilter);
      return (metadata) => {
        for (const part of parts) if (!part(metadata)) return false;
        return true;
      };
    }
    case '$or': {
      const parts = filter.nodes.map(compileRowFilter);
      return (metadata) => {
        for (const part of parts) if (part(metadata)) return true;
        return false;
      };
    }
    case '$eq':
      return anyElement(filter.field, memberOf([filter.value]));
    case '$in':
      return anyElement(filter.field, memberOf(filter.values));
    case '$ne':
      return noElement(filter.field, memberOf([filter.value]));
    case '$nin':
      return noElement(filter.field, memberOf(filter.values));
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return anyElement(filter.field, rangeOf(filter.op, filter.value));
    case '$exists': {
      const read = comparable(filter.field);
      const wanted = filter.value;
      return (metadata) => (read(metadata) !== undefined) === wanted;
    }
  }
}

/** Reads the field's value when it is comparable (a scalar or an array), else undefined. */
function comparable(field: string): FieldReader {
  const read = fieldReader(field);
  return (metadata) => {
    const value = read(metadata);
    return isComparable(value) ? value : undefined;
  };
}

function isScalar(value: MetadataValue): value is Scalar {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

function anyElement(field: string, test: Member): RowPredicate {
  const read = comparable(field);
  return (metadata) => {
    const value = read(metadata);
    if (value === undefined) return false;
    if (!Array.isArray(value)) return test(value as Scalar);
    for (const element of value) if (isScalar(element) && test(element)) return true;
    return false;
  };
}

function noElement(field: string, test: Member): RowPredicate {
  const read = comparable(field);
  return (metadata) => {
    const value = read(metadata);
    if (value === undefined) return false;
    if (!Array.isArray(value)) return !test(value as Scalar);
    for (const element of value) if (isScalar(element) && test(element)) return false;
    return true;
  };
}

function memberOf(values: readonly Scalar[]): Member {
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const booleans = new Set<boolean>();
  for (const value of values) {
    if (typeof value === 'string') strings.add(value);
    else if (typeof value === 'number') numbers.add(value);
    else booleans.add(value);
  }
  return (value) =>
    typeof value === 'string'
      ? strings.has(value)
      : typeof value === 'number'
        ? numbers.has(value)
        : booleans.has(value);
}

function rangeOf(op: '$gt' | '$gte' | '$lt' | '$lte', bound: Scalar): Member {
  // The parser admits only numbers for ranges; anything else matches nothing, as in SQL.
  if (typeof bound !== 'number') return () => false;
  switch (op) {
    case '$gt':
      return (value) => typeof value === 'number' && value > bound;
    case '$gte':
      return (value) => typeof value === 'number' && value >= bound;
    case '$lt':
      return (value) => typeof value === 'number' && value < bound;
    case '$lte':
      return (value) => typeof value === 'number' && value <= bound;
  }
}
