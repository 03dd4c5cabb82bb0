import { Comparable, comparableFields } from '../../ports/metadata-fields';
import { Metadata } from '../../ports/vector.types';

/**
 * The field names whose value a comparison can look at (a string, number, boolean or array),
 * resolved as every backend resolves a filter field (`comparableFields`), so `$ne`, `$nin` and
 * `$exists` can test for one as SQLite's `json_type` check does: Qdrant has no condition that
 * tells an object or a null from a comparable value.
 */
export const KEYS_FIELD = '_vg_keys';
/**
 * The values of the dotted field names, resolved at write time: a literal dotted key when the
 * metadata has it, else the nested path. Qdrant reads `a.b` in a key as a nested path only and
 * cannot prefer one candidate over another, so dotted fields are filtered here, under a key
 * with the dots as `-` (which no metadata key contains); undotted ones under `metadata.`.
 */
export const DOTTED_FIELD = '_vg_f';

/** The payload key a filter on `field` reads, under DOTTED_FIELD. */
export function dottedKey(field: string): string {
  return `${DOTTED_FIELD}.${field.replaceAll('.', '-')}`;
}

/** The filter fields of a point's payload: KEYS_FIELD always, DOTTED_FIELD when it has any. */
export function filterPayload(metadata: Metadata | undefined): Record<string, unknown> {
  const fields = comparableFields(metadata);
  const dotted: Record<string, Comparable> = {};
  for (const [name, value] of fields) {
    if (name.includes('.')) dotted[name.replaceAll('.', '-')] = value;
  }
  const out: Record<string, unknown> = { [KEYS_FIELD]: [...fields.keys()] };
  if (Object.keys(dotted).length > 0) out[DOTTED_FIELD] = dotted;
  return out;
}
