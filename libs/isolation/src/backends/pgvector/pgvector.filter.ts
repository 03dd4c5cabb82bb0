import { fieldPaths } from '../../ports/metadata-fields';
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
 * The semantics are those of every backend (`compileRowFilter` is the reference): a dotted
 * field is the literal key when the record has it, else the nested path (`metadata-fields.ts`);
 * values compare within their own JSON type (JSONB equality is typed: "5" is not 5, and 5
 * equals 5.0); a field that is missing, null or an object makes every comparison false, `$ne`
 * and `$nin` included, and `$exists: false` true; on an array field a comparison holds when it
 * holds for one element, and `$ne` / `$nin` hold when no element equals.
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
    case '$exists': {
      const typed = `COALESCE(jsonb_typeof(${valueOf(node.field, params)}) IN ${COMPARABLE}, false)`;
      return node.value ? typed : `(NOT ${typed})`;
    }
  }
}

/**
 * The field's JSONB value: the first candidate path (`fieldPaths`) the row has, each path one
 * bound text array (a key present with a JSON null is present: `#>` gives 'null', not NULL).
 */
function valueOf(field: string, params: Params): string {
  const paths = fieldPaths(field);
  if (paths.length === 1) return `(metadata -> ${bind(params, field)}::text)`;
  const at = paths.map((path) => `(metadata #> ${bind(params, path)}::text[])`);
  const last = at.pop() as string;
  return `(CASE ${at.map((value) => `WHEN ${value} IS NOT NULL THEN ${value}`).join(' ')} ELSE ${last} END)`;
}

function bind(params: Params, value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}

/** The field's value, or each of its elements when it is an array, as rows `e(v)`. */
function elements(field: string, params: Params): { typed: string; rows: string } {
  const value = valueOf(field, params);
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
