import { FilterNode, Scalar } from '../../ports/vector.types';

export interface CompiledFilter {
  readonly sql: string;
  readonly params: readonly (string | number)[];
}

const SCALAR_TYPES = `('text','integer','real','true','false')`;

/**
 * Translates a validated filter into a SQL condition over the JSON `metadata` column. Every
 * field path and value is a bound parameter; nothing from the filter is spliced into the SQL.
 * A field missing from a record makes every comparison false, `$ne` and `$nin` included.
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
      return equals(node.field, [node.value], params);
    case '$ne':
      return `(${exists(node.field, params)} AND NOT ${equals(node.field, [node.value], params)})`;
    case '$in':
      return equals(node.field, node.values, params);
    case '$nin':
      return `(${exists(node.field, params)} AND NOT ${equals(node.field, node.values, params)})`;
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return range(node.op, node.field, node.value, params);
  }
}

function path(field: string): string {
  return `$.${field}`;
}

function exists(field: string, params: (string | number)[]): string {
  params.push(path(field));
  return `json_type(metadata, ?) IN ${SCALAR_TYPES}`;
}

/** True when the field holds one of `values`, compared within the value's own JSON type. */
function equals(field: string, values: readonly Scalar[], params: (string | number)[]): string {
  const strings = values.filter((v): v is string => typeof v === 'string');
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const booleans = values.filter((v): v is boolean => typeof v === 'boolean');
  const parts: string[] = [];
  if (strings.length > 0) parts.push(typed(field, `= 'text'`, strings, params));
  if (numbers.length > 0) parts.push(typed(field, `IN ('integer','real')`, numbers, params));
  if (booleans.length > 0) {
    params.push(path(field));
    const names = [...new Set(booleans.map((b) => (b ? 'true' : 'false')))];
    parts.push(`json_type(metadata, ?) IN (${names.map(() => '?').join(',')})`);
    params.push(...names);
  }
  return parts.length === 0 ? '(0)' : `(${parts.join(' OR ')})`;
}

function typed(
  field: string,
  typeTest: string,
  values: readonly (string | number)[],
  params: (string | number)[],
): string {
  params.push(path(field), path(field), ...values);
  return `(json_type(metadata, ?) ${typeTest} AND json_extract(metadata, ?) IN (${values.map(() => '?').join(',')}))`;
}

const RANGE_SQL = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;

function range(
  op: keyof typeof RANGE_SQL,
  field: string,
  value: Scalar,
  params: (string | number)[],
): string {
  if (typeof value !== 'number') return '(0)';
  params.push(path(field), path(field), value);
  return `(json_type(metadata, ?) IN ('integer','real') AND json_extract(metadata, ?) ${RANGE_SQL[op]} ?)`;
}
