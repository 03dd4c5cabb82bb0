import { BadRequestError } from '@vecgate/core';
import { asSent, unknownField } from '../field-names';

/** A list's position is vecgate's `cursor`, a Pinecone client's `paginationToken`. */
export const PAGINATION_TOKEN_NAMES = asSent([[/^cursor/, 'paginationToken']]);

/**
 * A list's `limit` as a query string carries it: digits only. `1e2`, ` 5`, `0x10` or a
 * repeated parameter are not a number of records (NaN, which the page rules refuse naming
 * `limit`).
 */
export const queryLimit = (value: unknown): number =>
  typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number(value) : NaN;

/**
 * The fields each request may carry: those of Pinecone's API as SDKs 5 and 8 send them. Any
 * other is refused with 400 naming it, since a misspelt field (`set_metadata`,
 * `include_values`) that was silently dropped would turn a call into a quiet no-op.
 * `scanFactor` and `maxCandidates` tune dedicated read nodes: accepted, with nothing to tune.
 * `createIndex` is the control plane's: the SDKs' `CreateIndexRequest` (their own options,
 * `suppressConflicts` and `waitUntilReady`, never leave the client).
 */
export const REQUEST_FIELDS = {
  upsert: ['vectors', 'namespace'],
  record: ['id', 'values', 'sparseValues', 'metadata'],
  query: [
    'namespace',
    'topK',
    'filter',
    'includeValues',
    'includeMetadata',
    'queries',
    'vector',
    'sparseVector',
    'id',
    'scanFactor',
    'maxCandidates',
  ],
  fetch: ['ids', 'namespace'],
  list: ['namespace', 'prefix', 'limit', 'paginationToken'],
  update: ['id', 'values', 'sparseValues', 'setMetadata', 'namespace', 'filter', 'dryRun'],
  delete: ['ids', 'deleteAll', 'namespace', 'filter'],
  stats: ['filter'],
  createNamespace: ['name', 'schema'],
  listNamespaces: ['limit', 'paginationToken', 'prefix'],
  createIndex: [
    'name',
    'dimension',
    'metric',
    'deletion_protection',
    'tags',
    'spec',
    'vector_type',
  ],
} as const satisfies Record<string, readonly string[]>;

type Body = Record<string, unknown>;

/** The JSON object a request carries (a missing body is an empty one); 400 for anything else. */
export function bodyOf(raw: unknown): Body {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new BadRequestError('the body must be a JSON object', 'body');
  return raw as Body;
}

export type RequestKind = keyof typeof REQUEST_FIELDS;

/** The JSON object of a `kind` request (a body or a query string); 400 naming an unknown field. */
export function requestOf(raw: unknown, kind: RequestKind, at = ''): Record<string, unknown> {
  const body = bodyOf(raw);
  const known: readonly string[] = REQUEST_FIELDS[kind];
  const unknown = unknownField(body, known);
  if (unknown !== undefined)
    throw new BadRequestError(
      `is not a field of this call (it takes ${known.join(', ')})`,
      `${at}${unknown}`,
    );
  return body;
}

/** An optional boolean flag (`includeValues`, `deleteAll`): false when absent, 400 if not a boolean. */
export function flag(body: Record<string, unknown>, field: string): boolean {
  const value = body[field];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new BadRequestError('must be a boolean', field);
  return value;
}
