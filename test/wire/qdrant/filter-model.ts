/**
 * A model of how Qdrant evaluates a filter against a point, ported from Qdrant v1.18.3:
 * `lib/segment/src/payload_storage/query_checker.rs` (check_filter, check_field_condition),
 * `lib/segment/src/payload_storage/condition_checker.rs` (Match, Range, values on arrays),
 * `lib/segment/src/common/utils.rs` (check_is_empty, check_is_null) and
 * `lib/segment/src/json_path` (value_get: a dotted path, no flattening of the last value).
 *
 * It parses strictly: a condition Qdrant's REST schema would refuse (an unknown key, a float
 * in `match.value`, a mixed `match.any`) throws a FormatError, which the stub answers with 400,
 * so a translation the real server would reject cannot pass the wire tests.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Payload = { [key: string]: Json };

export class FormatError extends Error {}

export interface PointView {
  readonly id: string | number;
  readonly payload: Payload;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function only(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new FormatError(`unknown field "${key}" in ${where}`);
  }
}

const PATH = /^[\p{L}\p{N}_-]+(\.[\p{L}\p{N}_-]+)*$/u;

/** value_get for a dotted path: the value at the end, unflattened; [] when absent. */
export function valuesAt(payload: Payload, key: string): Json[] {
  if (!PATH.test(key)) throw new FormatError(`unsupported JSON path ${key} in the model`);
  let current: Json | undefined = payload;
  for (const part of key.split('.')) {
    if (!isObject(current)) return [];
    current = current[part];
    if (current === undefined) return [];
  }
  return [current];
}

/** Each element of an array (one level), or the value itself: `ValueChecker::_check`. */
function elements(value: Json): Json[] {
  return Array.isArray(value) ? value : [value];
}

type Matcher = (value: Json) => boolean;

function integer(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** serde_json's `as_i64`: an integer JSON number (JSON.parse keeps 5.0 as 5; see README). */
function asI64(value: Json): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

function matcher(match: unknown): Matcher {
  if (!isObject(match)) throw new FormatError('match must be an object');
  const keys = Object.keys(match);
  if (keys.length !== 1) throw new FormatError('match takes exactly one variant');
  if ('value' in match) {
    const want = match.value;
    if (typeof want === 'string') return (v) => typeof v === 'string' && v === want;
    if (typeof want === 'boolean') return (v) => typeof v === 'boolean' && v === want;
    if (integer(want)) return (v) => asI64(v) === want;
    throw new FormatError('match.value must be a string, an integer or a boolean');
  }
  if ('any' in match || 'except' in match) {
    const list = match.any ?? match.except;
    if (!Array.isArray(list)) throw new FormatError('match.any/except must be an array');
    const strings = list.every((v) => typeof v === 'string');
    const integers = list.every((v) => integer(v));
    if (!strings && !integers) throw new FormatError('match.any/except mixes types');
    const has = (v: Json): boolean | undefined => {
      if (strings && typeof v === 'string') return list.includes(v);
      if (integers && typeof v === 'number') {
        const n = asI64(v);
        return n === undefined ? undefined : list.includes(n);
      }
      return undefined;
    };
    if ('any' in match) return (v) => has(v) === true;
    return (v) => {
      if (v === null) return false;
      const found = has(v);
      return found === undefined ? true : !found;
    };
  }
  throw new FormatError(`unsupported match variant ${keys[0]}`);
}

function ranger(range: unknown): Matcher {
  if (!isObject(range)) throw new FormatError('range must be an object');
  only(range, ['gt', 'gte', 'lt', 'lte'], 'range');
  for (const bound of Object.values(range)) {
    if (bound !== null && (typeof bound !== 'number' || !Number.isFinite(bound))) {
      throw new FormatError('range bounds must be numbers');
    }
  }
  const { gt, gte, lt, lte } = range as Record<string, number | null | undefined>;
  return (v) =>
    typeof v === 'number' &&
    (lt == null || v < lt) &&
    (gt == null || v > gt) &&
    (lte == null || v <= lte) &&
    (gte == null || v >= gte);
}

function checkIsEmpty(values: Json[]): boolean {
  return values.every((x) => x === null || (Array.isArray(x) && x.length === 0));
}

function checkIsNull(values: Json[]): boolean {
  return values.some((x) => x === null);
}

export type Predicate = (point: PointView) => boolean;

function keyOf(value: unknown, where: string): string {
  if (!isObject(value) || typeof value.key !== 'string') {
    throw new FormatError(`${where} needs {key}`);
  }
  only(value, ['key'], where);
  return value.key;
}

function condition(input: unknown): Predicate {
  if (!isObject(input)) throw new FormatError('a condition must be an object');
  if ('must' in input || 'should' in input || 'must_not' in input || 'min_should' in input) {
    return compileFilter(input);
  }
  if ('is_empty' in input) {
    only(input, ['is_empty'], 'is_empty condition');
    const key = keyOf(input.is_empty, 'is_empty');
    return (p) => checkIsEmpty(valuesAt(p.payload, key));
  }
  if ('is_null' in input) {
    only(input, ['is_null'], 'is_null condition');
    const key = keyOf(input.is_null, 'is_null');
    return (p) => checkIsNull(valuesAt(p.payload, key));
  }
  if ('has_id' in input) {
    only(input, ['has_id'], 'has_id condition');
    if (!Array.isArray(input.has_id)) throw new FormatError('has_id must be an array');
    const ids = new Set((input.has_id as unknown[]).map((id) => String(id).toLowerCase()));
    return (p) => ids.has(String(p.id).toLowerCase());
  }
  if ('key' in input) {
    only(input, ['key', 'match', 'range'], 'field condition');
    if (typeof input.key !== 'string') throw new FormatError('key must be a string');
    const key = input.key;
    const checks: Matcher[] = [];
    if (input.match !== undefined) checks.push(matcher(input.match));
    if (input.range !== undefined) checks.push(ranger(input.range));
    if (checks.length === 0) throw new FormatError('a field condition needs match or range');
    // check_field_condition: a missing field is false for match and range (check_empty);
    // otherwise any stored value whose element satisfies any of the given checks.
    return (p) =>
      valuesAt(p.payload, key).some((value) =>
        elements(value).some((element) => checks.some((check) => check(element))),
      );
  }
  throw new FormatError(`unsupported condition ${JSON.stringify(Object.keys(input))}`);
}

function list(value: unknown, where: string): Predicate[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item, i) => {
    try {
      return condition(item);
    } catch (err) {
      if (err instanceof FormatError) throw new FormatError(`${where}[${i}]: ${err.message}`);
      throw err;
    }
  });
}

/** check_filter: should (any; an empty list holds for nobody), must (all), must_not (none). */
export function compileFilter(input: unknown): Predicate {
  if (input === undefined || input === null) return () => true;
  if (!isObject(input)) throw new FormatError('filter must be an object');
  only(input, ['must', 'should', 'must_not', 'min_should'], 'filter');
  if (input.min_should !== undefined && input.min_should !== null) {
    throw new FormatError('min_should is not modelled');
  }
  const must = input.must == null ? undefined : list(input.must, 'must');
  const should = input.should == null ? undefined : list(input.should, 'should');
  const mustNot = input.must_not == null ? undefined : list(input.must_not, 'must_not');
  return (p) =>
    (should === undefined || should.some((c) => c(p))) &&
    (must === undefined || must.every((c) => c(p))) &&
    (mustNot === undefined || mustNot.every((c) => !c(p)));
}
