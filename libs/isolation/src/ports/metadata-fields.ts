import type { Metadata, MetadataValue, Scalar } from './vector.types';

/*
 * How a filter field names a value in a record's metadata: the one rule every backend's filter
 * translation implements. This file imports types only, through a relative path, because the
 * embedded engine's worker threads load it outside Nest's path mapping.
 *
 * A field is one or more segments joined by dots (`source`, `loc.lines.from`,
 * `metadata.source`). Applications mean a dotted field two ways: a literal key that contains
 * the dots (LangChain flattens nested metadata to `loc.lines.from` for Pinecone), or a path
 * into nested objects (`metadata.source` into `{metadata: {source: ...}}`, as Qdrant clients
 * filter). A field therefore names, in this order of precedence:
 *
 *   1. the literal key `a.b.c` of the metadata, when the record has that key (whatever its
 *      value, null included);
 *   2. else `a` → the literal key `b.c` of the object under `a`;
 *   3. else `a` → `b` → `c` (each step an object, never an array).
 *
 * The first candidate the record has decides: the literal key wins over the nested path. What
 * it holds is then compared; a missing field, null and an object are not comparable (they match
 * no comparison, `$ne` and `$nin` included; `$exists: false` is the one test they pass).
 */

/** A metadata key or filter field: dot-separated segments, each `[A-Za-z_][A-Za-z0-9_]*`. */
export const METADATA_KEY = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** The longest metadata key or filter field, in characters. */
export const MAX_FIELD_LENGTH = 128;
/** The most segments a metadata key or filter field has, which bounds the candidates above. */
export const MAX_FIELD_SEGMENTS = 8;

export function isMetadataKey(key: string): boolean {
  return (
    key.length <= MAX_FIELD_LENGTH &&
    METADATA_KEY.test(key) &&
    key.split('.').length <= MAX_FIELD_SEGMENTS
  );
}

/**
 * The key paths a field can name, in order of precedence: `[['a.b.c'], ['a', 'b.c'],
 * ['a', 'b', 'c']]`. Only the last step of a path may contain dots.
 */
export function fieldPaths(field: string): string[][] {
  const segments = field.split('.');
  const paths: string[][] = [];
  for (let nested = 0; nested < segments.length; nested++) {
    paths.push([...segments.slice(0, nested), segments.slice(nested).join('.')]);
  }
  return paths;
}

/** A JSON object that is not an array. */
export function isObjectValue(
  value: MetadataValue | undefined,
): value is { [key: string]: MetadataValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a comparison looks at: a string, number, boolean, or an array (element by element). */
export type Comparable = Scalar | MetadataValue[];

export function isComparable(value: MetadataValue | undefined): value is Comparable {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' || Array.isArray(value);
}

/** The value at one key path, or undefined when a step is missing or not an object. */
function valueAt(metadata: Metadata, path: readonly string[]): MetadataValue | undefined {
  let current: MetadataValue | undefined = metadata;
  for (const key of path) {
    if (!isObjectValue(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** A compiled field: resolves it in a record, by the rule above, without re-splitting. */
export type FieldReader = (metadata: Metadata | undefined) => MetadataValue | undefined;

export function fieldReader(field: string): FieldReader {
  const paths = fieldPaths(field);
  if (paths.length === 1) {
    return (metadata) =>
      metadata !== undefined && Object.hasOwn(metadata, field) ? metadata[field] : undefined;
  }
  return (metadata) => {
    if (metadata === undefined) return undefined;
    for (const path of paths) {
      const value = valueAt(metadata, path);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}

/**
 * Every field name a record's metadata answers with a comparable value, resolved by the rule
 * above, for backends that store a derived view their filters run against. A name outside
 * METADATA_KEY cannot be filtered on and is left out. Bounded by the metadata's own size.
 */
export function comparableFields(metadata: Metadata | undefined): Map<string, Comparable> {
  const found = new Map<string, { depth: number; value: MetadataValue }>();
  const walk = (object: { [key: string]: MetadataValue }, prefix: string, depth: number) => {
    for (const [key, value] of Object.entries(object)) {
      const name = prefix === '' ? key : `${prefix}.${key}`;
      if (!isMetadataKey(name)) continue;
      const known = found.get(name);
      // Fewer nested steps means a longer literal last key: that candidate comes first.
      if (!known || depth < known.depth) found.set(name, { depth, value });
      if (isObjectValue(value) && !key.includes('.')) walk(value, name, depth + 1);
    }
  };
  if (metadata) walk(metadata, '', 0);
  const out = new Map<string, Comparable>();
  for (const [name, { value }] of found) if (isComparable(value)) out.set(name, value);
  return out;
}
