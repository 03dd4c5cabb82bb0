import { Injectable } from '@nestjs/common';
import { BadRequestError, TenantBypassError } from '@vecgate/core';
import {
  ComparisonOperator,
  FilterNode,
  isMetadataKey,
  MAX_FIELD_LENGTH,
  MAX_FIELD_SEGMENTS,
  Scalar,
  SetOperator,
} from '@vecgate/isolation';
import { ReservedKeys } from '@vecgate/tenancy';
import { FIELD_NAME_RULE, LIMITS } from '../limits';

const COMPARISONS: readonly ComparisonOperator[] = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte'];
const SETS: readonly SetOperator[] = ['$in', '$nin'];
const RANGES = new Set(['$gt', '$gte', '$lt', '$lte']);

/**
 * Parses the JSON filter language (a subset of the MongoDB-style language Pinecone and others
 * use) into a validated tree: `{field: value}`, `{field: {$op: value}}`, `$exists`, `$and`,
 * `$or`. Anything else is a 400 naming the path at fault. The tree never contains user text
 * other than field names that pass `isMetadataKey` (a dotted field reaches a literal dotted key
 * or a nested path: `metadata-fields.ts`) and scalar values that backends bind as parameters.
 */
@Injectable()
export class FilterParser {
  constructor(private readonly reserved: ReservedKeys) {}

  /** Returns undefined for an absent or empty filter. */
  parse(input: unknown, path = 'filter'): FilterNode | undefined {
    if (input === undefined || input === null) return undefined;
    const counter = { clauses: 0, cost: 0 };
    if (!isPlainObject(input)) throw new BadRequestError('filter must be an object', path);
    if (Object.keys(input).length === 0) return undefined;
    return this.object(input, path, 1, counter);
  }

  private object(
    input: Record<string, unknown>,
    path: string,
    depth: number,
    counter: FilterCounter,
  ): FilterNode {
    if (depth > LIMITS.maxFilterDepth) {
      throw new BadRequestError(
        `filter is nested deeper than ${LIMITS.maxFilterDepth} levels`,
        path,
      );
    }
    const keys = Object.keys(input);
    if (keys.length === 0) throw new BadRequestError('empty filter object', path);
    const nodes = keys.map((key) => this.entry(key, input[key], `${path}.${key}`, depth, counter));
    return nodes.length === 1 ? (nodes[0] as FilterNode) : { op: '$and', nodes };
  }

  private entry(
    key: string,
    value: unknown,
    path: string,
    depth: number,
    counter: FilterCounter,
  ): FilterNode {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) {
        throw new BadRequestError(`${key} takes a non-empty array of filters`, path);
      }
      const nodes = value.map((child, i) => {
        if (!isPlainObject(child))
          throw new BadRequestError(`${key} items must be objects`, `${path}[${i}]`);
        return this.object(child, `${path}[${i}]`, depth + 1, counter);
      });
      return { op: key, nodes };
    }
    if (key.startsWith('$')) throw new BadRequestError(`unknown operator ${key}`, path);
    this.checkField(key, path);
    if (!isPlainObject(value)) return this.clause(key, '$eq', value, path, counter);
    const ops = Object.keys(value);
    if (ops.length === 0) throw new BadRequestError('empty operator object', path);
    const nodes = ops.map((op) => this.clause(key, op, value[op], `${path}.${op}`, counter));
    return nodes.length === 1 ? (nodes[0] as FilterNode) : { op: '$and', nodes };
  }

  /**
   * Refuses a field a filter may not name: a reserved one (a bypass attempt, audited as such)
   * or one outside the metadata key pattern. Dialects that translate their own filters call it
   * on each field first, so a reserved name is named as one before any other refusal.
   */
  checkField(key: string, path: string): void {
    // Longer than any field can be: refused before the reserved-name check normalises it (a
    // Qdrant filter's key is a string value, which no body bound keeps short).
    if (key.length > MAX_FIELD_LENGTH * MAX_FIELD_SEGMENTS)
      throw new BadRequestError(`filter field must match ${FIELD_NAME_RULE}`, path);
    // Checked on the whole name and on every segment: `metadata.tenant` is refused too.
    if (this.reserved.isReserved(key)) {
      throw new TenantBypassError(
        `filter field "${key}" is reserved: the tenant comes from the token`,
        path,
      );
    }
    if (!isMetadataKey(key))
      throw new BadRequestError(`filter field must match ${FIELD_NAME_RULE}`, path);
  }

  private clause(
    field: string,
    op: string,
    value: unknown,
    path: string,
    counter: FilterCounter,
  ): FilterNode {
    if (++counter.clauses > LIMITS.maxFilterClauses) {
      throw new BadRequestError(`filter has more than ${LIMITS.maxFilterClauses} clauses`, path);
    }
    if ((COMPARISONS as readonly string[]).includes(op)) {
      this.charge(counter, 1, path);
      const scalar = this.scalar(value, path);
      if (RANGES.has(op) && typeof scalar !== 'number')
        throw new BadRequestError(`${op} takes a number`, path);
      return { op: op as ComparisonOperator, field, value: scalar };
    }
    if ((SETS as readonly string[]).includes(op)) {
      if (!Array.isArray(value) || value.length === 0)
        throw new BadRequestError(`${op} takes a non-empty array`, path);
      if (value.length > LIMITS.maxFilterValues) {
        throw new BadRequestError(`${op} takes at most ${LIMITS.maxFilterValues} values`, path);
      }
      this.charge(counter, value.length, path);
      return {
        op: op as SetOperator,
        field,
        values: value.map((v, i) => this.scalar(v, `${path}[${i}]`)),
      };
    }
    if (op === '$exists') {
      if (typeof value !== 'boolean')
        throw new BadRequestError('$exists takes true or false', path);
      this.charge(counter, 1, path);
      return { op, field, value };
    }
    throw new BadRequestError(`unknown operator ${op}`, path);
  }

  /** Adds a clause's values to the filter's cost and refuses a filter that costs too much. */
  private charge(counter: FilterCounter, values: number, path: string): void {
    counter.cost += values;
    if (counter.cost > LIMITS.maxFilterCost) {
      throw new BadRequestError(
        `filter compares with more than ${LIMITS.maxFilterCost} values in all (filter cost limit)`,
        path,
        'limit:filter_cost',
      );
    }
  }

  private scalar(value: unknown, path: string): Scalar {
    if (typeof value === 'string') {
      if (value.length > LIMITS.maxFilterString) {
        throw new BadRequestError(
          `filter strings are at most ${LIMITS.maxFilterString} characters`,
          path,
        );
      }
      return value;
    }
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new BadRequestError('filter numbers must be finite', path);
      return value;
    }
    throw new BadRequestError('filter values must be strings, finite numbers or booleans', path);
  }
}

interface FilterCounter {
  clauses: number;
  /** Values compared with so far, summed over clauses (see LIMITS.maxFilterCost). */
  cost: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
