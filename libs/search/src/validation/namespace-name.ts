import { BadRequestError } from '@vecgate/core';
import {
  DEFAULT_NAMESPACE,
  DEFAULT_NAMESPACE_ALIAS,
  MAX_NAMESPACE_LENGTH,
  NAMESPACE_PATTERN,
} from '@vecgate/isolation';

/** The rule as callers read it in an error message. */
export const NAMESPACE_RULE =
  `1 to ${MAX_NAMESPACE_LENGTH} letters, digits and _ . : @ -, ` +
  'starting with a letter or digit';

/**
 * The namespace a request names: absent, `""` and `"__default__"` are the default namespace;
 * any other name follows `NAMESPACE_PATTERN`. Names starting with `_` are reserved (400
 * `reserved_namespace`), like reserved metadata keys; anything but a string is refused.
 */
export function namespaceName(value: unknown, field = 'namespace'): string {
  if (value === undefined) return DEFAULT_NAMESPACE;
  if (typeof value !== 'string') throw new BadRequestError('must be a string', field);
  if (value === DEFAULT_NAMESPACE || value === DEFAULT_NAMESPACE_ALIAS) return DEFAULT_NAMESPACE;
  if (value.startsWith('_')) {
    throw new BadRequestError(
      `namespace "${value.slice(0, MAX_NAMESPACE_LENGTH)}" is reserved: names starting with "_" ` +
        `are kept for vecgate (only "${DEFAULT_NAMESPACE_ALIAS}", the default, is accepted)`,
      field,
      'reserved_namespace',
    );
  }
  if (!NAMESPACE_PATTERN.test(value)) {
    throw new BadRequestError(`a namespace name is ${NAMESPACE_RULE}`, field);
  }
  return value;
}
