import { Injectable } from '@nestjs/common';
import { BadRequestError, heavyTurn, NotFoundError } from '@vecgate/core';
import {
  DeleteSelector,
  Metadata,
  SearchQuery,
  TenantScope,
  TenantVectorStore,
} from '@vecgate/isolation';
import { FilterParser } from '../filter/filter.parser';
import { LIMITS } from '../limits';
import { NamespaceService } from '../namespaces/namespace.service';
import { QuotaView } from '../quota/storage-quota';
import { StorageUsageTracker } from '../quota/storage-usage';
import { Duplicates, RecordInput } from '../validation/record-input';
import { ranked } from './ranked';
import { RequestTrace, ResultValidator } from './result-validator';

/** Batches of more values than this are checked in a turn of the event loop of their own. */
const YIELD_BEFORE_VALUES = 65_536;

export interface SearchInput {
  readonly vector: unknown;
  readonly topK: unknown;
  readonly filter?: unknown;
  readonly includeMetadata?: boolean;
  readonly includeValues?: boolean;
  /** Search exactly even where an approximate index would answer. */
  readonly exact?: boolean;
}

/** A search's options once checked. */
export interface CheckedSearch {
  readonly topK: number;
  readonly filter: SearchQuery['filter'];
  readonly includeMetadata: boolean;
  readonly includeValues: boolean;
  readonly exact: boolean;
}

export interface DeleteInput {
  readonly ids?: unknown;
  readonly filter?: unknown;
  readonly deleteAll?: boolean;
}

export interface MatchView {
  id: string;
  score: number;
  metadata?: Metadata;
  values?: number[];
}

export interface VectorView {
  id: string;
  values: number[];
  metadata: Metadata;
}

export interface TenantStats {
  /** Across every namespace of the tenant. */
  vectorCount: number;
  /** Each namespace's count: the default (`""`) first, then the named ones by name. */
  namespaces: { name: string; vectors: number }[];
  dimension: number;
  metric: string;
  backend: string;
  strategy: string;
  /** Stored vectors and bytes against the tier's quota (`limit: null` is unlimited). */
  quota: QuotaView;
}

/**
 * Tenant-plane use cases. Each takes the tenant scope explicitly; whatever a backend returns
 * passes result validation before it is answered.
 */
@Injectable()
export class VectorService {
  constructor(
    private readonly store: TenantVectorStore,
    private readonly input: RecordInput,
    private readonly filters: FilterParser,
    private readonly results: ResultValidator,
    private readonly usage: StorageUsageTracker,
    private readonly namespaces: NamespaceService,
  ) {}

  /**
   * All or nothing against the tier's storage quota: a write past it stores nothing. A write
   * into a namespace the tenant does not have yet registers it first, within the tier's cap.
   */
  async upsert(
    scope: TenantScope,
    tier: string,
    vectors: unknown,
    trace: RequestTrace,
    duplicates?: Duplicates,
  ): Promise<{ upserted: number }> {
    const limit = this.usage.metadataLimit(scope, tier);
    // Checking and converting a large batch is a slice of work of its own, apart from the
    // request's earlier parsing and walking: other requests run in between (heavyTurn).
    if (Array.isArray(vectors) && vectors.length * scope.space.dimension > YIELD_BEFORE_VALUES)
      await heavyTurn();
    const { records, bytes } = this.input.sizedRecords(vectors, scope.space, limit, duplicates);
    const call = { signal: trace.signal };
    // The room is reserved and, if the write fails, given back while the namespace is held
    // for writing: a delete by filter, which recounts the namespace, never runs in between.
    return this.namespaces.writing(scope, call.signal, async () => {
      const release = await this.usage.reserveUpsert(scope, tier, records, bytes, call);
      try {
        // After the quota check, so a write refused for its size registers no namespace.
        await this.namespaces.admit(scope, tier);
        return await this.store.upsert(scope, records, call);
      } catch (err) {
        release();
        throw err;
      }
    });
  }

  async fetch(scope: TenantScope, id: string, trace: RequestTrace): Promise<VectorView> {
    const checkedId = this.input.id(id, 'id');
    const found = await this.store.fetch(
      scope,
      [checkedId],
      { includeValues: true, includeMetadata: true },
      { signal: trace.signal },
    );
    const own = this.results.keepOwn(scope, found, trace);
    const record = own.find((r) => r.id === checkedId);
    if (!record) throw new NotFoundError(`no vector with id "${checkedId}"`);
    return {
      id: record.id,
      values: Array.from(record.values ?? []),
      metadata: record.metadata ?? {},
    };
  }

  /**
   * The records of `ids` the scope's namespace holds, in the order asked; absent ids are left
   * out. Their values count against the answer's float budget, like a search's.
   */
  async fetchMany(scope: TenantScope, ids: unknown, trace: RequestTrace): Promise<VectorView[]> {
    const checked = this.input.ids(ids, 'ids');
    withinAnswerFloats(checked.length, scope.space.dimension, 'ids');
    const found = await this.store.fetch(
      scope,
      checked,
      { includeValues: true, includeMetadata: true },
      { signal: trace.signal },
    );
    const own = new Map(this.results.keepOwn(scope, found, trace).map((r) => [r.id, r]));
    return [...new Set(checked)].flatMap((id) => {
      const record = own.get(id);
      if (!record) return [];
      return [{ id, values: Array.from(record.values ?? []), metadata: record.metadata ?? {} }];
    });
  }

  async delete(
    scope: TenantScope,
    request: DeleteInput,
    trace: RequestTrace,
  ): Promise<{ deleted: number }> {
    const selector = this.selector(request);
    const call = { signal: trace.signal };
    switch (selector.kind) {
      case 'ids': {
        const released = await this.usage.measureDelete(scope, selector.ids, call);
        const result = await this.store.delete(scope, selector, call);
        released();
        return result;
      }
      case 'filter':
      case 'all':
        // Alone in the namespace, so that the count read after it misses no write in flight.
        return this.namespaces.alone(scope, call.signal, async () => {
          try {
            return await this.store.delete(scope, selector, call);
          } finally {
            // Even a failed delete may have removed some records on a backend without batches.
            this.usage.forgetCount(scope);
            await this.usage.recountStale(scope);
          }
        });
    }
  }

  async search(
    scope: TenantScope,
    request: SearchInput,
    trace: RequestTrace,
  ): Promise<{ matches: MatchView[] }> {
    const vector = this.input.vector(request.vector, scope.space, 'vector');
    const { topK, filter, includeMetadata, includeValues, exact } = this.checkSearch(
      scope,
      request,
    );
    const found = await this.store.search(
      scope,
      { vector, topK, filter, includeMetadata, includeValues, ...(exact ? { exact } : {}) },
      { signal: trace.signal },
    );
    const own = ranked(this.results.keepOwn(scope, found, trace));
    return {
      matches: own.map((r) => {
        const match: MatchView = { id: r.id, score: r.score };
        if (includeMetadata) match.metadata = r.metadata ?? {};
        if (includeValues) match.values = Array.from(r.values ?? []);
        return match;
      }),
    };
  }

  /**
   * A search's options, checked without its vector (400 naming the first field at fault). A
   * dialect that reads the vector from a stored record (Pinecone's query by id) checks them
   * before that lookup, so a bad request is refused whether the record exists or not.
   */
  checkSearch(scope: TenantScope, request: Omit<SearchInput, 'vector'>): CheckedSearch {
    const topK = request.topK;
    if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > LIMITS.maxTopK) {
      throw new BadRequestError(`topK must be an integer from 1 to ${LIMITS.maxTopK}`, 'topK');
    }
    const filter = this.filters.parse(request.filter);
    const includeMetadata = request.includeMetadata ?? false;
    const includeValues = request.includeValues ?? false;
    const exact = request.exact ?? false;
    if (typeof exact !== 'boolean') throw new BadRequestError('exact must be a boolean', 'exact');
    if (includeValues) withinAnswerFloats(topK, scope.space.dimension, 'topK');
    return { topK, filter, includeMetadata, includeValues, exact };
  }

  /**
   * The parts of a record a partial update gives, checked as an upsert would check them (400
   * or 413 naming `fields.values` or `fields.metadata`), before the record is looked up: a bad
   * update is refused whether the record exists or not.
   */
  checkRecordParts(
    scope: TenantScope,
    tier: string,
    parts: { readonly values?: unknown; readonly metadata?: unknown },
    fields: { readonly values: string; readonly metadata: string },
  ): void {
    if (parts.values !== undefined) this.input.vector(parts.values, scope.space, fields.values);
    if (parts.metadata !== undefined)
      this.input.metadata(parts.metadata, fields.metadata, this.usage.metadataLimit(scope, tier));
  }

  async stats(scope: TenantScope, tier: string, trace: RequestTrace): Promise<TenantStats> {
    const namespaces = await this.namespaces.counted(scope, { signal: trace.signal });
    const quota = this.usage.view(scope, tier);
    return {
      vectorCount: quota.vectors.used,
      namespaces: namespaces.map((n) => ({ name: n.name, vectors: n.vectors })),
      dimension: scope.space.dimension,
      metric: scope.space.metric,
      backend: scope.placement.backend,
      strategy: scope.placement.strategy,
      quota,
    };
  }

  private selector(request: DeleteInput): DeleteSelector {
    const given = [request.ids !== undefined, request.filter !== undefined].filter(Boolean).length;
    if (given > 1) throw new BadRequestError('give either ids or filter, not both', 'ids');
    if (request.ids !== undefined) {
      if (request.deleteAll)
        throw new BadRequestError('deleteAll cannot be combined with ids', 'deleteAll');
      return { kind: 'ids', ids: this.input.ids(request.ids, 'ids') };
    }
    const filter = this.filters.parse(request.filter);
    if (filter) {
      if (request.deleteAll)
        throw new BadRequestError('deleteAll cannot be combined with a filter', 'deleteAll');
      return { kind: 'filter', filter };
    }
    if (request.deleteAll === true) return { kind: 'all' };
    throw new BadRequestError(
      'an empty filter deletes everything; send deleteAll: true to mean it',
      'filter',
    );
  }
}

/**
 * An answer with values holds at most `maxAnswerFloats` floats: `count` records × dimension.
 * Exported for the dialects' own fetch-by-ids calls.
 */
export function withinAnswerFloats(count: number, dimension: number, field: string): void {
  if (count * dimension <= LIMITS.maxAnswerFloats) return;
  throw new BadRequestError(
    `an answer with values holds at most ${LIMITS.maxAnswerFloats} floats (${field} × dimension); ` +
      `at dimension ${dimension}, ${field} is at most ${Math.floor(LIMITS.maxAnswerFloats / dimension)}`,
    field,
    'limit:answer_floats',
  );
}
