import { FilterNode, Scalar } from '../../ports/vector.types';
import { unstorable } from './pgvector.values';

/** Bound parameters of a statement: a filter appends its own and names them `$n`. */
export type Params = unknown[];

/** JSON types a comparison looks at: scalars, and arrays of scalars (element by element). */
const COMPARABLE = `('string','number','boolean','array')`;

/**
 * Translates a validated filter into a condition over the JSONB `metadata` column. Field
 * names and values are bound parameters (`metadata -> $n`, JSONB values); nothing from the
 * filter is spliced into the SQL.
 *
 * The semantics are those of every backend (`compileRowFilter` is the reference): values
 * compare within their own JSON type (JSONB equality is typed: "5" is not 5, and 5 equals
 * 5.0); a field that is missing, null or an object makes every comparison false, `$ne` and
 * `$nin` included; on an array field a comparison holds when it holds for one element, and
 * `$ne` / `$nin` hold when no element equals.
 */
export function compileFilter(node: FilterNode, params: Params): string {
  if ('field' in node && unstorable(node.field)) return 'false';
  switch (node.op) {
    case '$and':
    case '$or': {
      const joiner = node.op === '$and' ? ' AND ' : ' OR ';
      return `(${node.nodes.map((child) => compileFilter(child, params)).join(joiner)})`;
    }
    case '$eq':
      return anyElement(node.field, equalsOneOf([node.value], params), params);
    case '$in':
      return anyElement(node.field, equalsOneOf(node.values, params), params);
    case '$ne':
      return noElement(node.field, equalsOneOf([node.value], params), params);
    case '$nin':
      return noElement(node.field, equalsOneOf(node.values, params), params);
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return anyElement(node.field, range(node.op, node.value, params), params);
  }
}

function bind(params: Params, value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}

/** The field's value, or each of its elements when it is an array, as rows `e(v)`. */
function elements(field: string, params: Params): { typed: string; rows: string } {
  const value = `(metadata -> ${bind(params, field)}::text)`;
  return {
    typed: `COALESCE(jsonb_typeof(${value}) IN ${COMPARABLE}, false)`,
    rows:
      `jsonb_array_elements(CASE jsonb_typeof(${value}) WHEN 'array' THEN ${value} ` +
      `ELSE jsonb_build_array(${value}) END) AS e(v)`,
  };
}

/** The condition holds for the value, or for one element of an array. */
function anyElement(field: string, condition: string, params: Params): string {
  const { typed, rows } = elements(field, params);
  return `(${typed} AND EXISTS (SELECT 1 FROM ${rows} WHERE ${condition}))`;
}

/** The value is comparable and neither it nor any element satisfies the condition. */
function noElement(field: string, condition: string, params: Params): string {
  const { typed, rows } = elements(field, params);
  return `(${typed} AND NOT EXISTS (SELECT 1 FROM ${rows} WHERE ${condition}))`;
}

/**
 * An element equals one of `values`: one bound array of JSON texts, whatever its length, so a
 * long `$in` is one parameter, and JSONB equality keeps the types apart.
 */
function equalsOneOf(values: readonly Scalar[], params: Params): string {
  const storable = values.filter((value) => typeof value !== 'string' || !unstorable(value));
  const json = [...new Set(storable.map((value) => JSON.stringify(value)))];
  return `e.v = ANY(${bind(params, json)}::jsonb[])`;
}

const RANGE_SQL = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;

/**
 * A numeric element compared to the bound. The bound travels as the shortest decimal of the
 * double, which orders exactly like the double itself against the stored JSON numbers.
 */
function range(op: keyof typeof RANGE_SQL, bound: Scalar, params: Params): string {
  // The parser admits only numbers for ranges; anything else matches nothing.
  if (typeof bound !== 'number' || !Number.isFinite(bound)) return 'false';
  const at = bind(params, String(bound));
  // CASE, not AND: PostgreSQL may evaluate the operands of AND in any order, and a cast of a
  // string element to numeric would fail the statement.
  return `CASE WHEN jsonb_typeof(e.v) = 'number' THEN (e.v)::numeric ${RANGE_SQL[op]} ${at}::numeric ELSE false END`;
}
