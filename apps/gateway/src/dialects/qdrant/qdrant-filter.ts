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
    }
  | { readonly op: '$in' | '$nin'; readonly field: string; readonly value: unknown }
  | { readonly op: '$exists'; readonly field: string; readonly value: boolean };

type Json = Record<string, unknown>;

const RANGE_OPS = { gt: '$gt', gte: '$gte', lt: '$lt', lte: '$lte' } as const;
/** Qdrant nests filters in conditions; this bounds the walk before the parser's own bound. */
const MAX_DEPTH = LIMITS.maxFilterDepth * 2;

/**
 * Translates a Qdrant filter (`must`, `should`, `must_not`, `match` value/any/except, `range`,
 * `is_empty`, nested filters; keys like `metadata.source` address nested payload) into
 * vecgate's filter language, or undefined when it selects everything. Anything else (geo,
 * text, `has_id` (see `translateSelection`), `nested`, `values_count`, `is_null`, `min_should`) is
 * a 400 naming it.
 */
export function translateFilter(filter: unknown, field = 'filter'): Json | undefined {
  if (filter === undefined || filter === null) return undefined;
  const node = filterNode(filter, field, 1);
  return node ? toJson(node) : undefined;
}

function filterNode(filter: unknown, path: string, depth: number): Node | undefined {
  if (depth > MAX_DEPTH) throw new BadRequestError('the filter is nested too deeply', path);
  const f = object(filter, path);
  for (const key of Object.keys(f)) {
    if (!['must', 'should', 'must_not'].includes(key) && f[key] !== null && f[key] !== undefined)
      throw new BadRequestError(`filter clause "${key}" is not supported`, `${path}.${key}`);
  }
  const parts: Node[] = [];
  const must = conditions(f.must, `${path}.must`, depth);
  if (must.length > 0) parts.push(and(must));
  const should = conditions(f.should, `${path}.should`, depth);
  if (should.length > 0)
    parts.push(should.length === 1 ? (should[0] as Node) : { op: '$or', nodes: should });
  const mustNot = conditions(f.must_not, `${path}.must_not`, depth);
  for (const n of mustNot) parts.push(negate(n));
  return parts.length === 0 ? undefined : and(parts);
}

function conditions(input: unknown, path: string, depth: number): Node[] {
  if (input === undefined || input === null) return [];
  const list = Array.isArray(input) ? input : [input];
  if (list.length > LIMITS.maxFilterClauses)
    throw new BadRequestError(`at most ${LIMITS.maxFilterClauses} conditions`, path);
  return list.flatMap((c, i) => {
    const node = condition(c, `${path}[${i}]`, depth);
    return node ? [node] : [];
  });
}

function condition(input: unknown, path: string, depth: number): Node | undefined {
  const c = object(input, path);
  if ('must' in c || 'should' in c || 'must_not' in c) return filterNode(c, path, depth + 1);
  if ('is_empty' in c)
    return {
      op: '$exists',
      field: key(object(c.is_empty, `${path}.is_empty`).key, `${path}.is_empty.key`),
      value: false,
    };
  if ('key' in c) return fieldCondition(c, path);
  const name = Object.keys(c)[0] ?? 'empty condition';
  throw new BadRequestError(`condition "${name}" is not supported`, `${path}.${name}`);
}

function fieldCondition(c: Json, path: string): Node {
  const field = key(c.key, `${path}.key`);
  const nodes: Node[] = [];
  for (const name of Object.keys(c)) {
    if (name === 'key' || c[name] === null || c[name] === undefined) continue;
    if (name === 'match')
      nodes.push(match(field, object(c.match, `${path}.match`), `${path}.match`));
    else if (name === 'range') nodes.push(...range(field, object(c.range, `${path}.range`)));
    else throw new BadRequestError(`condition "${name}" is not supported`, `${path}.${name}`);
  }
  if (nodes.length === 0) throw new BadRequestError('a field condition needs match or range', path);
  return and(nodes);
}

function match(field: string, m: Json, path: string): Node {
  if ('value' in m) return { op: '$eq', field, value: m.value };
  if ('any' in m) return { op: '$in', field, value: m.any };
  if ('except' in m) return { op: '$nin', field, value: m.except };
  throw new BadRequestError(
    'match takes value, any or except (text matching is not supported)',
    path,
  );
}

function range(field: string, r: Json): Node[] {
  return (Object.keys(RANGE_OPS) as (keyof typeof RANGE_OPS)[])
    .filter((k) => r[k] !== undefined && r[k] !== null)
    .map((k) => ({ op: RANGE_OPS[k], field, value: r[k] }));
}

/** Qdrant's `must_not` also matches points without the field: vecgate's comparisons do not. */
function negate(node: Node): Node {
  if ('nodes' in node)
    return node.op === '$and'
      ? { op: '$or', nodes: node.nodes.map(negate) }
      : and(node.nodes.map(negate));
  if (node.op === '$exists') return { ...node, value: !node.value };
  const opposite = { ...node, op: OPPOSITE[node.op] } as Node;
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
