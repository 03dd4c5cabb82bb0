import { UnprocessableError } from '@vecgate/core';
import { isMetadataKey } from '../../ports/metadata-fields';
import { FilterNode, Scalar } from '../../ports/vector.types';
import { FIELD } from './milvus.schema';

/** Values a Milvus filter template carries (`expr_template_values`). */
export type TemplateValue = string | number | boolean | string[] | number[] | boolean[];

/** A filter template and its values: no value is ever part of `expr`. */
export interface MilvusFilter {
  readonly expr: string;
  readonly values: Readonly<Record<string, TemplateValue>>;
}

/** Binds values to numbered placeholders `{p0}`, `{p1}`... */
export class TemplateValues {
  private readonly bound: Record<string, TemplateValue> = {};
  private next = 0;

  bind(value: TemplateValue): string {
    const name = `p${this.next++}`;
    this.bound[name] = value;
    return `{${name}}`;
  }

  all(): Record<string, TemplateValue> {
    return { ...this.bound };
  }
}

/**
 * Translates a validated filter over the `_vg_filter` index (see `filterIndexOf`), with the
 * semantics of the embedded backend: a dotted field is the index entry of that name, which
 * the index resolved at write time (literal key first, else nested path); type-strict
 * equality, any element of an array, `$ne` and `$nin` false for a missing field, `$exists`
 * on the index's comparable keys, ranges on numbers only.
 */
export function compileFilter(node: FilterNode, values: TemplateValues): string {
  switch (node.op) {
    case '$and':
    case '$or': {
      if (node.nodes.length === 0) throw new UnprocessableError(`${node.op} without filters`);
      const parts = node.nodes.map((child) => compileFilter(child, values));
      return `(${parts.join(node.op === '$and' ? ' && ' : ' || ')})`;
    }
    case '$eq':
      return equals(node.field, node.value, values);
    case '$ne':
      return `(${present(node.field, values)} && !${equals(node.field, node.value, values)})`;
    case '$in':
      return anyOf(node.field, node.values, values);
    case '$nin':
      return `(${present(node.field, values)} && !${anyOf(node.field, node.values, values)})`;
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return range(node.op, node.field, node.value, values);
    case '$exists':
      return node.value ? present(node.field, values) : `!${present(node.field, values)}`;
  }
}

/** The filter parser's rule, checked again because a field is spliced as a JSON key. */
function checkField(field: string): void {
  if (!isMetadataKey(field)) throw new UnprocessableError('invalid filter field', 'filter');
}

function path(group: 'str' | 'num' | 'bool' | 'min' | 'max', field: string): string {
  checkField(field);
  return `${FIELD.filter}["${group}"]["${field}"]`;
}

/** The field exists with a comparable value (a scalar or an array). */
function present(field: string, values: TemplateValues): string {
  checkField(field);
  return `json_contains(${FIELD.filter}["keys"], ${values.bind(field)})`;
}

/** Always false: no comparable key is the empty string. */
function nothing(values: TemplateValues): string {
  return `json_contains(${FIELD.filter}["keys"], ${values.bind('')})`;
}

function groupOf(value: Scalar): 'str' | 'num' | 'bool' {
  return typeof value === 'string' ? 'str' : typeof value === 'number' ? 'num' : 'bool';
}

/** Milvus carries integers as int64 and compares JSON numbers exactly only within ±2^53. */
function checkNumber(value: Scalar): void {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new UnprocessableError(
      'filter integers beyond ±9007199254740991 are not supported on Milvus',
      'filter',
    );
  }
}

function equals(field: string, value: Scalar, values: TemplateValues): string {
  checkNumber(value);
  return `json_contains(${path(groupOf(value), field)}, ${values.bind(value)})`;
}

/**
 * One `json_contains_any` per value kind: a template array must hold one type (the SDK types
 * an array by its first element), and integers and fractions travel as int64 and double.
 */
function anyOf(field: string, list: readonly Scalar[], values: TemplateValues): string {
  if (list.length === 0) throw new UnprocessableError('an empty value list', 'filter');
  list.forEach(checkNumber);
  const strings = [...new Set(list.filter((v): v is string => typeof v === 'string'))];
  const numbers = [...new Set(list.filter((v): v is number => typeof v === 'number'))];
  const booleans = [...new Set(list.filter((v): v is boolean => typeof v === 'boolean'))];
  const integers = numbers.filter((n) => Number.isInteger(n));
  const fractions = numbers.filter((n) => !Number.isInteger(n));
  const parts: string[] = [];
  if (strings.length > 0)
    parts.push(`json_contains_any(${path('str', field)}, ${values.bind(strings)})`);
  if (integers.length > 0)
    parts.push(`json_contains_any(${path('num', field)}, ${values.bind(integers)})`);
  if (fractions.length > 0)
    parts.push(`json_contains_any(${path('num', field)}, ${values.bind(fractions)})`);
  if (booleans.length > 0)
    parts.push(`json_contains_any(${path('bool', field)}, ${values.bind(booleans)})`);
  return `(${parts.join(' || ')})`;
}

const RANGE = {
  $gt: { bound: 'max', op: '>' },
  $gte: { bound: 'max', op: '>=' },
  $lt: { bound: 'min', op: '<' },
  $lte: { bound: 'min', op: '<=' },
} as const;

/** Some numeric element satisfies the bound exactly when the greatest (or least) one does. */
function range(
  op: keyof typeof RANGE,
  field: string,
  value: Scalar,
  values: TemplateValues,
): string {
  checkField(field);
  if (typeof value !== 'number') return nothing(values);
  checkNumber(value);
  const { bound, op: symbol } = RANGE[op];
  return `${path(bound, field)} ${symbol} ${values.bind(value)}`;
}
