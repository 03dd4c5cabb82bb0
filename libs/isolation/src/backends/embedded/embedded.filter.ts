import { fieldPaths } from '../../ports/metadata-fields';
import { FilterNode, Scalar } from '../../ports/vector.types';

export interface CompiledFilter {
  readonly sql: string;
  readonly params: readonly (string | number)[];
}

/** JSON types a comparison can look at: scalars, and arrays of scalars (element by element). */
const COMPARABLE = `('text','integer','real','true','false','array')`;

/**
 * Translates a validated filter into a SQL condition over the JSON `metadata` column. Every
 * field path and value is a bound parameter; nothing from the filter is spliced into the SQL.
 *
 * Semantics, the same on every backend: a dotted field is the literal key when the record has
 * it, else the nested path (`metadata-fields.ts`); values compare within their own JSON type
 * ("5" is not 5); a field missing from a record makes every comparison false, `$ne` and `$nin`
 * included, and `$exists: false` true; on an array field a comparison holds when it holds for
 * any element, and `$ne` / `$nin` hold when no element equals.
 */
export function compileSqliteFilter(node: FilterNode): CompiledFilter {
  const params: (string | number)[] = [];
  const sql = compile(node, params);
  return { sql, params };
}

function compile(node: FilterNode, params: (string | number)[]): string {
  switch (node.op) {
    case '$and':
    case '$or': {
      const joiner = node.op === '$and' ? ' AND ' : ' OR ';
      return `(${node.nodes.map((child) => compile(child, params)).join(joiner)})`;
    }
    case '$eq':
      return anyElement(node.field, equalsCondition([node.value], params), params);
    case '$in':
      return anyElement(node.field, equalsCondition(node.values, params), params);
    case '$ne':
      return noElement(node.field, equalsCondition([node.value], params), params);
    case '$nin':
      return noElement(node.field, equalsCondition(node.values, params), params);
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return anyElement(node.field, rangeCondition(node.op, node.value, params), params);
    case '$exists': {
      const typed = `COALESCE(json_type(metadata, ${path(node.field, params)}) IN ${COMPARABLE}, 0)`;
      return node.value ? typed : `(NOT ${typed})`;
    }
  }
}

/**
 * The JSON path the field names in a row: the first candidate path (`fieldPaths`) the row
 * has, chosen in SQL, each candidate a bound parameter with every key quoted.
 */
function path(field: string, params: (string | number)[]): string {
  const paths = fieldPaths(field).map((keys) => `$${keys.map((key) => `."${key}"`).join('')}`);
  if (paths.length === 1) {
    params.push(paths[0] as string);
    return '?';
  }
  const last = paths.pop() as string;
  const cases = paths.map((candidate) => {
    params.push(candidate, candidate);
    return 'WHEN json_type(metadata, ?) IS NOT NULL THEN ?';
  });
  params.push(last);
  return `(CASE ${cases.join(' ')} ELSE ? END)`;
}

/**
 * The condition holds for the field's value, or for one element when it is an array. The
 * condition's own parameters were pushed before the path ones, so they are bound in order.
 */
function anyElement(field: string, condition: Condition, params: (string | number)[]): string {
  const each = path(field, params);
  params.push(...condition.params);
  return `(EXISTS (SELECT 1 FROM json_each(metadata, ${each}) AS e WHERE ${condition.sql}) AND json_type(metadata, ${path(field, params)}) IN ${COMPARABLE})`;
}

function noElement(field: string, condition: Condition, params: (string | number)[]): string {
  const typed = path(field, params);
  const each = path(field, params);
  params.push(...condition.params);
  return `(json_type(metadata, ${typed}) IN ${COMPARABLE} AND NOT EXISTS (SELECT 1 FROM json_each(metadata, ${each}) AS e WHERE ${condition.sql}))`;
}

interface Condition {
  readonly sql: string;
  readonly params: readonly (string | number)[];
}

/** An element equals one of `values`, compared within the value's own JSON type. */
function equalsCondition(values: readonly Scalar[], _params: (string | number)[]): Condition {
  const strings = values.filter((v): v is string => typeof v === 'string');
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const booleans = [...new Set(values.filter((v): v is boolean => typeof v === 'boolean'))];
  const parts: string[] = [];
  const params: (string | number)[] = [];
  if (strings.length > 0) {
    parts.push(`(e.type = 'text' AND e.value IN (${strings.map(() => '?').join(',')}))`);
    params.push(...strings);
  }
  if (numbers.length > 0) {
    parts.push(
      `(e.type IN ('integer','real') AND e.value IN (${numbers.map(() => '?').join(',')}))`,
    );
    params.push(...numbers);
  }
  if (booleans.length > 0) {
    parts.push(`e.type IN (${booleans.map(() => '?').join(',')})`);
    params.push(...booleans.map((b) => (b ? 'true' : 'false')));
  }
  return { sql: parts.length === 0 ? '0' : `(${parts.join(' OR ')})`, params };
}

const RANGE_SQL = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;

function rangeCondition(
  op: keyof typeof RANGE_SQL,
  value: Scalar,
  _params: (string | number)[],
): Condition {
  if (typeof value !== 'number') return { sql: '0', params: [] };
  return { sql: `(e.type IN ('integer','real') AND e.value ${RANGE_SQL[op]} ?)`, params: [value] };
}
