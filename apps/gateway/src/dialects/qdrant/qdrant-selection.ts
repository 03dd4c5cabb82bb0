import { recordIdsOf } from './qdrant-ids';
import { alone, FieldCheck, translateFilter } from './qdrant-filter';

type Json = Record<string, unknown>;

/** What a filter selects: a translated filter, and the record ids `has_id` allows, if any. */
export interface Selection {
  readonly filter?: Json;
  readonly ids?: ReadonlySet<string>;
}

function isHasId(condition: unknown): condition is { has_id: unknown } {
  return typeof condition === 'object' && condition !== null && 'has_id' in condition;
}

/**
 * A filter whose top-level `must` holds `has_id` conditions, for the calls that walk records
 * (scroll, count, delete): the ids (the intersection of every `has_id`) and the rest of the
 * filter, translated. vecgate filters address metadata only, so `has_id` anywhere else, and in
 * a nearest-neighbour query, stays a 400 from `translateFilter`.
 */
export function translateSelection(
  filter: unknown,
  check: FieldCheck,
  field = 'filter',
): Selection {
  const f = filter as Json | null | undefined;
  const must = f?.must;
  const conditions = Array.isArray(must) ? must : must === undefined || must === null ? [] : [must];
  if (!conditions.some(isHasId)) {
    const translated = translateFilter(filter, check, field);
    return translated ? { filter: translated } : {};
  }
  let ids: Set<string> | undefined;
  conditions.forEach((c, i) => {
    if (!isHasId(c)) return;
    alone(c, 'has_id', `${field}.must[${i}]`);
    const listed = new Set(recordIdsOf(c.has_id, `${field}.must[${i}].has_id`));
    ids = ids ? new Set([...ids].filter((id) => listed.has(id))) : listed;
  });
  const rest = translateFilter({ ...f, must: conditions.filter((c) => !isHasId(c)) }, check, field);
  return { ...(rest ? { filter: rest } : {}), ids: ids ?? new Set() };
}
