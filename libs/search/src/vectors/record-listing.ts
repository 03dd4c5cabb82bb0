import { Injectable } from '@nestjs/common';
import { BadRequestError } from '@vecgate/core';
import { ListResult, MAX_LIST_LIMIT, TenantScope, TenantVectorStore } from '@vecgate/isolation';
import { FilterParser } from '../filter/filter.parser';
import { LIMITS } from '../limits';
import { RequestTrace, ResultValidator } from './result-validator';

/** A page request as a dialect receives it, before validation. */
export interface ListInput {
  readonly cursor?: unknown;
  readonly limit: unknown;
  readonly prefix?: unknown;
  readonly filter?: unknown;
  readonly includeValues?: boolean;
  readonly includeMetadata?: boolean;
}

/**
 * Lists one namespace of the scope's tenant a page at a time, for the dialects' listings
 * (Pinecone's `vectors/list`, Qdrant's `points/scroll`). Like search, every page passes result
 * validation: a record of another tenant or namespace is dropped and reported, never answered.
 * `next` is the backend's, so a page whose records were all dropped still lets the walk go on.
 */
@Injectable()
export class RecordListing {
  constructor(
    private readonly store: TenantVectorStore,
    private readonly filters: FilterParser,
    private readonly results: ResultValidator,
  ) {}

  async page(scope: TenantScope, request: ListInput, trace: RequestTrace): Promise<ListResult> {
    const includeValues = request.includeValues ?? false;
    const includeMetadata = request.includeMetadata ?? false;
    const limit = checkedLimit(request.limit, includeValues ? scope.space.dimension : 0);
    const prefix = optionalString(request.prefix, 'prefix', LIMITS.maxIdLength);
    const cursor = optionalString(request.cursor, 'cursor', 4096);
    const filter = this.filters.parse(request.filter);
    const found = await this.store.list(
      scope,
      { cursor, limit, prefix, filter, includeValues, includeMetadata },
      { signal: trace.signal },
    );
    const records = this.results.keepOwn(scope, found.records, trace);
    return found.next === undefined ? { records } : { records, next: found.next };
  }
}

/** 1..MAX_LIST_LIMIT, and within the answer's float budget when values are wanted. */
function checkedLimit(limit: unknown, dimension: number): number {
  const most =
    dimension > 0
      ? Math.min(MAX_LIST_LIMIT, Math.floor(LIMITS.maxAnswerFloats / dimension))
      : MAX_LIST_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > most) {
    const why = most < MAX_LIST_LIMIT ? ` (with values at dimension ${dimension})` : '';
    throw new BadRequestError(`limit must be an integer from 1 to ${most}${why}`, 'limit');
  }
  return limit;
}

function optionalString(value: unknown, field: string, maxLength: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > maxLength)
    throw new BadRequestError(
      `${field} must be a string of at most ${maxLength} characters`,
      field,
    );
  return value;
}
