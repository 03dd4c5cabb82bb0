import { BadRequestError } from '@vecgate/core';
import { LIMITS } from '@vecgate/search';

/**
 * A condition before it is written in vecgate's filter language: the tree that negation (for
 * `must_not`) works on. Values are passed through untouched; `FilterParser` validates them
 * with the field names, reserved keys and cost bounds when it parses the result.
 */
type Node =
  | { readonly op: '$and' | '$or'; readonly nodes: readonly Node[] }
  | {
      readonly op: '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte';
      readonly field: string;
      readonly value: unknown;
      readonly inexact?: Inexact;
    }
  | {
      readonly op: '$in' | '$nin';
      readonly field: string;
      readonly value: unknown;
      readonly inexact?: Inexact;
    }
  | { readonly op: '$exists'; readonly field: string; readonly value: boolean };

/**
 * A condition whose negation vecgate's language cannot write exactly: Qdrant's `must_not`
 * is NOT over the whole point, and a range or `except` holds when any element of an array
 * holds (a range on numbers only), so its opposite needs "no element" and "not a number",
 * which the language lacks. Negating one anyway would select other points than Qdrant does,
 * and a delete by filter would remove points Qdrant keeps: it is refused, naming `path`.
 */
interface Inexact {
  readonly path: string;
  readonly what: string;
}

type Json = Record<string, unknown>;

/**
 * Checks a payload key the filter names (the `FilterParser`): run on every key while
 * translating, so a reserved key is refused as a bypass attempt before a refusal of the
 * condition around it (such as a negation that cannot be written) hides it.
 */
export interface FieldCheck {
  checkField(key: string, path: string): void;
}

const RANGE_OPS = { gt: '$gt', gte: '$gte', lt: '$lt', lte: '$lte' } as const;
/** Qdrant nests filters in conditions; this bounds the walk before the parser's own bound. */
const MAX_DEPTH = LIMITS.maxFilterDepth * 2;
/**
 * Conditions of every kind (nested filters included) one Qdrant filter may hold: at most
 * `maxFilterClauses` of them can compare (vecgate's clause limit, checked after translation),
 * the rest only nest them. Bounds the translation's own work.
 */
const MAX_CONDITIONS = LIMITS.maxFilterClauses * 4;

/** The field check, and the conditions met so far in one filter. */
interface Walk extends FieldCheck {
  conditions: number;
}

/**
 * What a Qdrant (sub)filter selects when it leaves nothing to compare: every point (`{}`, an
 * empty `must`) or none (an empty `should`, as Qdrant's `any` over no condition; `must_not` of
 * a filter selecting every point). Folded away here, so an empty list never turns into "no
 * filter" where Qdrant would select nothing (a delete would empty the collection).
 */
type Part = Node | 'all' | 'none';

/** Selects no point: a field cannot both exist and not exist. */
const NOTHING: Node = {
  op: '$and',
  nodes: [
    { op: '$exists', field: 'none', value: true },
    { op: '$exists', field: 'none', value: false },
  ],
};

/**
 * Translates a Qdrant filter (`must`, `should`, `must_not`, `match` value/any/except, `range`,
 * `is_empty`, nested filters; keys like `metadata.source` address nested payload) into
 * vecgate's filter language, or undefined when it selects everything. Anything else (geo,
 * text, `has_id` (see `translateSelection`), `nested`, `values_count`, `is_null`, `min_should`) is
 * a 400 naming it.
 */
export function translateFilter(
  filter: unknown,
  check: FieldCheck,
  field = 'filter',
): Json | undefined {
  if (filter === undefined || filter === null) return undefined;
  const walk: Walk = { checkField: (key, path) => check.checkField(key, path), conditions: 0 };
  const part = filterNode(filter, field, 1, walk);
  if (part === 'all') return undefined;
  return toJson(part === 'none' ? NOTHING : part);
}

function filterNode(filter: unknown, path: string, depth: number, check: Walk): Part {
  if (depth > MAX_DEPTH) throw new BadRequestError('the filter is nested too deeply', path);
  const f = object(filter, path);
  for (const key of Object.keys(f)) {
    if (!['must', 'should', 'must_not'].includes(key) && f[key] !== null && f[key] !== undefined)
      throw new BadRequestError(`filter clause "${key}" is not supported`, `${path}.${key}`);
  }
  const must = conditions(f.must, `${path}.must`, depth, check);
  const should = conditions(f.should, `${path}.should`, depth, check);
  const mustNot = conditions(f.must_not, `${path}.must_not`, depth, check);
  // An absent `should` constrains nothing; a present one needs one of its conditions.
  const anyShould = f.should === undefined || f.should === null ? [] : [anyOf(should)];
  return allOf([...must, ...anyShould, ...mustNot.map(negatePart)]);
}

function conditions(input: unknown, path: string, depth: number, check: Walk): Part[] {
  if (input === undefined || input === null) return [];
  const list = Array.isArray(input) ? input : [input];
  if (list.length > LIMITS.maxFilterClauses)
    throw new BadRequestError(`at most ${LIMITS.maxFilterClauses} conditions`, path);
  // Counted before any is translated: a filter of lists of 64 nested six deep holds millions.
  check.conditions += list.length;
  if (check.conditions > MAX_CONDITIONS)
    throw new BadRequestError(
      `a filter holds at most ${MAX_CONDITIONS} conditions, nested filters included`,
      path,
    );
  return list.map((c, i) => condition(c, `${path}[${i}]`, depth, check));
}

function condition(input: unknown, path: string, depth: number, check: Walk): Part {
  const c = object(input, path);
  if ('must' in c || 'should' in c || 'must_not' in c) return filterNode(c, path, depth + 1, check);
  if ('is_empty' in c) {
    alone(c, 'is_empty', path);
    const field = key(object(c.is_empty, `${path}.is_empty`).key, `${path}.is_empty.key`);
    check.checkField(field, `${path}.is_empty.key`);
    return { op: '$exists', field, value: false };
  }
  if ('has_id' in c) {
    alone(c, 'has_id', path);
    throw new BadRequestError(
      'has_id is supported only directly in the filter’s top-level must, and not in a search',
      `${path}.has_id`,
    );
  }
  if ('key' in c) return fieldCondition(c, path, check);
  const name = Object.keys(c)[0];
  if (name === undefined)
    throw new BadRequestError('a condition is empty: give key, is_empty or a nested filter', path);
  throw new BadRequestError(`condition "${name}" is not supported`, `${path}.${name}`);
}

/**
 * Throws for the first `is_empty` in a filter already translated (so of bounded depth), for a
 * delete. `is_empty` is read as vecgate's `$exists: false`, which differs from Qdrant's reading
 * on a key holding `[]` (empty to Qdrant, a value here) or an object (a value to Qdrant, empty
 * here): in a search that changes what is found, in a delete it could remove points Qdrant
 * keeps, under `must` or `must_not` alike.
 */
export function refuseIsEmpty(filter: unknown, path: string): void {
  if (typeof filter !== 'object' || filter === null) return;
  const f = filter as Json;
  if ('is_empty' in f)
    throw new BadRequestError(
      'is_empty is not served in a delete: vecgate reads a key holding [] as set and one holding ' +
        'an object as empty, the opposite of Qdrant, so the delete could remove points Qdrant ' +
        'keeps; select the points with scroll and delete them by id',
      `${path}.is_empty`,
    );
  for (const clause of ['must', 'should', 'must_not']) {
    const list = f[clause];
    if (Array.isArray(list)) list.forEach((c, i) => refuseIsEmpty(c, `${path}.${clause}[${i}]`));
    else refuseIsEmpty(list, `${path}.${clause}`);
  }
}

function allOf(parts: Part[]): Part {
  if (parts.includes('none')) return 'none';
  const nodes = parts.filter(isNode);
  return nodes.length === 0 ? 'all' : and(nodes);
}

function anyOf(parts: Part[]): Part {
  if (parts.includes('all')) return 'all';
  const nodes = parts.filter(isNode);
  if (nodes.length === 0) return 'none';
  return nodes.length === 1 ? (nodes[0] as Node) : { op: '$or', nodes };
}

function negatePart(part: Part): Part {
  if (part === 'all') return 'none';
  if (part === 'none') return 'all';
  return negate(part);
}

const isEmptyList = (value: unknown): boolean => Array.isArray(value) && value.length === 0;

function isNode(part: Part): part is Node {
  return part !== 'all' && part !== 'none';
}

/**
 * A condition is one kind (Qdrant's `Condition` is one of them): members of another kind
 * beside it would be dropped, so they are refused, naming the first.
 */
export function alone(c: Json, kind: string, path: string): void {
  const other = Object.keys(c).find((name) => name !== kind && c[name] !== undefined);
  if (other !== undefined)
    throw new BadRequestError(
      `${kind} is a condition of its own: "${other}" belongs to another one`,
      `${path}.${other}`,
    );
}

function fieldCondition(c: Json, path: string, check: FieldCheck): Part {
  const field = key(c.key, `${path}.key`);
  check.checkField(field, `${path}.key`);
  const parts: Part[] = [];
  for (const name of Object.keys(c)) {
    if (name === 'key' || c[name] === null || c[name] === undefined) continue;
    if (name === 'match')
      parts.push(match(field, object(c.match, `${path}.match`), `${path}.match`));
    else if (name === 'range')
      parts.push(...range(field, object(c.range, `${path}.range`), `${path}.range`));
    else throw new BadRequestError(`condition "${name}" is not supported`, `${path}.${name}`);
  }
  if (parts.length === 0) throw new BadRequestError('a field condition needs match or range', path);
  return allOf(parts);
}

function match(field: string, m: Json, path: string): Part {
  if ('value' in m) return { op: '$eq', field, value: m.value };
  // `any` of no value matches no point in Qdrant (vecgate's `$in` needs a value).
  if ('any' in m) return isEmptyList(m.any) ? 'none' : { op: '$in', field, value: m.any };
  if ('except' in m)
    return { op: '$nin', field, value: m.except, inexact: { path, what: 'match except' } };
  throw new BadRequestError(
    'match takes value, any or except (text matching is not supported)',
    path,
  );
}

function range(field: string, r: Json, path: string): Node[] {
  return (Object.keys(RANGE_OPS) as (keyof typeof RANGE_OPS)[])
    .filter((k) => r[k] !== undefined && r[k] !== null)
    .map((k) => ({ op: RANGE_OPS[k], field, value: r[k], inexact: { path, what: 'a range' } }));
}

/** Qdrant's `must_not` also matches points without the field: vecgate's comparisons do not. */
function negate(node: Node): Node {
  if ('nodes' in node)
    return node.op === '$and'
      ? { op: '$or', nodes: node.nodes.map(negate) }
      : and(node.nodes.map(negate));
  if (node.op === '$exists') return { ...node, value: !node.value };
  if (node.inexact) {
    throw new BadRequestError(
      `${node.inexact.what} cannot be negated exactly (must_not, or a should under it): on an ` +
        'array, or a value of another type, vecgate would select other points than Qdrant; ' +
        'write the opposite condition under must instead',
      node.inexact.path,
    );
  }
  const opposite = { op: OPPOSITE[node.op], field: node.field, value: node.value } as Node;
  return { op: '$or', nodes: [opposite, { op: '$exists', field: node.field, value: false }] };
}

const OPPOSITE = {
  $eq: '$ne',
  $ne: '$eq',
  $gt: '$lte',
  $gte: '$lt',
  $lt: '$gte',
  $lte: '$gt',
  $in: '$nin',
  $nin: '$in',
} as const;

function and(nodes: Node[]): Node {
  return nodes.length === 1 ? (nodes[0] as Node) : { op: '$and', nodes };
}

function toJson(node: Node): Json {
  if ('nodes' in node) return { [node.op]: node.nodes.map(toJson) };
  return { [node.field]: { [node.op]: node.value } };
}

function key(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '')
    throw new BadRequestError('must be a payload key', path);
  return value;
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BadRequestError('must be an object', path);
  return value as Json;
}
