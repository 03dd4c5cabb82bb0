import type {
  Index,
  IndexStatsDescription,
  PineconeRecord,
  QueryResponse,
  RecordMetadata,
} from '@pinecone-database/pinecone';
import { guarded, isNotFound, toGatewayError } from './pinecone.errors';
import { PineconeFilter } from './pinecone.filter';
import { DATA_NAMESPACE, dataNamespaceOf, isTenantNamespace } from './pinecone.naming';

/** Pinecone's request limits: records and bytes per upsert, ids per delete. */
const MAX_UPSERT_RECORDS = 1000;
const MAX_UPSERT_BYTES = 2 * 1024 * 1024 - 64 * 1024;
const MAX_DELETE_IDS = 1000;
/** Fetch sends ids in the query string: keep each URL well below common server limits. */
const MAX_FETCH_IDS = 100;
const MAX_FETCH_URL_CHARS = 6000;

export interface QueryArgs {
  readonly vector: number[];
  readonly topK: number;
  readonly filter: PineconeFilter;
  readonly includeValues: boolean;
  readonly includeMetadata: boolean;
}

/**
 * One tenant namespace's place: an index handle and the Pinecone namespace derived from the
 * tenant uid and the namespace name. The only way this backend talks to a data plane, so
 * every call carries that namespace explicitly, checked first: a missing, empty or
 * foreign-shaped namespace throws before any request leaves, instead of falling back to the
 * index's default namespace (`""` / `__default__`).
 */
export class TenantIndex {
  /** The Pinecone namespace every call of this place names. */
  readonly namespace: string;

  constructor(
    private readonly handle: Index,
    private readonly tenantUid: string,
    /** The tenant's namespace name (`""` for its default namespace). */
    namespace: string,
    private readonly indexName: string,
  ) {
    this.namespace = dataNamespaceOf(tenantUid, namespace);
  }

  /** A label for reports (`index/namespace`), never sent anywhere. */
  get place(): string {
    return `${this.indexName}/${this.namespace}`;
  }

  async upsert(records: readonly PineconeRecord[]): Promise<void> {
    const namespace = this.bound();
    for (const chunk of upsertChunks(records)) {
      await guarded('upsert', () => this.handle.upsert({ records: chunk, namespace }));
    }
  }

  async fetch(ids: readonly string[]): Promise<PineconeRecord[]> {
    const namespace = this.bound();
    const found: PineconeRecord[] = [];
    for (const chunk of fetchChunks(ids)) {
      const answer = await guarded('fetch', () => this.handle.fetch({ ids: chunk, namespace }));
      found.push(...Object.values(answer.records));
    }
    return found;
  }

  async query(args: QueryArgs): Promise<QueryResponse<RecordMetadata>['matches']> {
    const namespace = this.bound();
    const answer = await guarded('query', () =>
      this.handle.query({
        vector: args.vector,
        topK: args.topK,
        filter: args.filter,
        includeValues: args.includeValues,
        includeMetadata: args.includeMetadata,
        namespace,
      }),
    );
    return answer.matches;
  }

  /**
   * One page of the namespace's ids (Pinecone lists them in byte order), at most `limit`;
   * `next` is Pinecone's pagination token while more may follow.
   */
  async listIds(
    prefix: string,
    limit: number,
    token: string | undefined,
  ): Promise<{ ids: string[]; next?: string }> {
    const namespace = this.bound();
    const answer = await guarded('list', () =>
      this.handle.listPaginated({
        ...(prefix === '' ? {} : { prefix }),
        limit,
        ...(token === undefined ? {} : { paginationToken: token }),
        namespace,
      }),
    );
    const ids = (answer.vectors ?? []).flatMap((v) => (typeof v.id === 'string' ? [v.id] : []));
    const next = answer.pagination?.next;
    return next ? { ids, next } : { ids };
  }

  async deleteIds(ids: readonly string[]): Promise<void> {
    const namespace = this.bound();
    for (let i = 0; i < ids.length; i += MAX_DELETE_IDS) {
      const chunk = ids.slice(i, i + MAX_DELETE_IDS);
      await guarded('delete', () => this.handle.deleteMany({ ids: chunk, namespace }));
    }
  }

  /**
   * Deletes every record of the namespace. `missingIsEmpty`: a 404 (serverless answers it for a
   * namespace that holds nothing) counts as done; the caller verifies the count afterwards.
   */
  async deleteAll(missingIsEmpty: boolean): Promise<void> {
    await this.deleteAllIn(this.bound(), missingIsEmpty);
  }

  /**
   * Record counts of every Pinecone namespace of this tenant in the index (all its namespaces,
   * found without knowing their names), from the index statistics read on the server: other
   * tenants' names and counts never leave this method.
   */
  async tenantNamespaces(): Promise<Map<string, number>> {
    const stats = await this.stats('erase');
    const own = new Map<string, number>();
    for (const [name, summary] of Object.entries(stats.namespaces ?? {})) {
      if (isTenantNamespace(this.tenantUid, name)) own.set(name, recordCount(summary));
    }
    return own;
  }

  /** Empties one of this tenant's Pinecone namespaces (erasure); absent counts as empty. */
  async clear(name: string): Promise<void> {
    if (!isTenantNamespace(this.tenantUid, name)) {
      throw new Error("refusing to empty a Pinecone namespace that is not the tenant's");
    }
    await this.deleteAllIn(name, true);
  }

  private async deleteAllIn(namespace: string, missingIsEmpty: boolean): Promise<void> {
    try {
      await this.handle.deleteAll({ namespace });
    } catch (err) {
      if (missingIsEmpty && isNotFound(err)) return;
      throw toGatewayError(err, 'delete');
    }
  }

  /**
   * The namespace's record count. The index statistics list every namespace of the index
   * (other tenants' names and counts): they are read here, on the server, and only this
   * namespace's number leaves this method.
   */
  async count(): Promise<number> {
    const stats = await this.stats('count');
    return recordCount(stats.namespaces?.[this.namespace]);
  }

  /** The index's dimension as Pinecone reports it (a configuration check at provisioning). */
  async dimension(): Promise<number | undefined> {
    const stats = await this.stats('provision');
    return stats.dimension;
  }

  /** All namespaces of the index, for the capacity check only (server-side, never returned). */
  async namespaceCount(): Promise<{ total: number; includesOwn: boolean }> {
    const stats = await this.stats('capacity check');
    const names = Object.keys(stats.namespaces ?? {});
    return { total: names.length, includesOwn: names.includes(this.namespace) };
  }

  /** The index statistics (every namespace of the index): for this class's methods only. */
  private async stats(action: string): Promise<IndexStatsDescription> {
    this.bound();
    return guarded(action, () => this.handle.describeIndexStats());
  }

  private bound(): string {
    if (typeof this.namespace !== 'string' || !DATA_NAMESPACE.test(this.namespace)) {
      throw new Error('refusing a Pinecone call without a tenant namespace');
    }
    return this.namespace;
  }
}

/** A namespace's record count from the statistics (0 when absent or unreadable). */
function recordCount(summary: { recordCount?: number } | undefined): number {
  const count = summary?.recordCount;
  return typeof count === 'number' && Number.isFinite(count) && count > 0 ? count : 0;
}

function upsertChunks(records: readonly PineconeRecord[]): Generator<PineconeRecord[]> {
  const size = (record: PineconeRecord) => Buffer.byteLength(JSON.stringify(record)) + 1;
  return chunks(records, size, MAX_UPSERT_RECORDS, MAX_UPSERT_BYTES);
}

function fetchChunks(ids: readonly string[]): Generator<string[]> {
  const size = (id: string) => encodeURIComponent(id).length + 5;
  return chunks(ids, size, MAX_FETCH_IDS, MAX_FETCH_URL_CHARS);
}

/** Consecutive slices of at most `maxItems` items and `maxSize` in total (one item at least). */
function* chunks<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxItems: number,
  maxSize: number,
): Generator<T[]> {
  let chunk: T[] = [];
  let total = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (chunk.length > 0 && (chunk.length >= maxItems || total + size > maxSize)) {
      yield chunk;
      chunk = [];
      total = 0;
    }
    chunk.push(item);
    total += size;
  }
  if (chunk.length > 0) yield chunk;
}
