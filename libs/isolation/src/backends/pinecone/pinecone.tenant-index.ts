import type {
  Index,
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
    this.bound();
    const stats = await guarded('erase', () => this.handle.describeIndexStats());
    const own = new Map<string, number>();
    for (const [name, summary] of Object.entries(stats.namespaces ?? {})) {
      if (!isTenantNamespace(this.tenantUid, name)) continue;
      const count = summary?.recordCount;
      own.set(name, typeof count === 'number' && Number.isFinite(count) && count > 0 ? count : 0);
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
    const namespace = this.bound();
    const stats = await guarded('count', () => this.handle.describeIndexStats());
    const own = stats.namespaces?.[namespace]?.recordCount;
    return typeof own === 'number' && Number.isFinite(own) && own > 0 ? own : 0;
  }

  /** The index's dimension as Pinecone reports it (a configuration check at provisioning). */
  async dimension(): Promise<number | undefined> {
    this.bound();
    const stats = await guarded('provision', () => this.handle.describeIndexStats());
    return stats.dimension;
  }

  /** All namespaces of the index, for the capacity check only (server-side, never returned). */
  async namespaceCount(): Promise<{ total: number; includesOwn: boolean }> {
    const namespace = this.bound();
    const stats = await guarded('capacity check', () => this.handle.describeIndexStats());
    const names = Object.keys(stats.namespaces ?? {});
    return { total: names.length, includesOwn: names.includes(namespace) };
  }

  private bound(): string {
    if (typeof this.namespace !== 'string' || !DATA_NAMESPACE.test(this.namespace)) {
      throw new Error('refusing a Pinecone call without a tenant namespace');
    }
    return this.namespace;
  }
}

function* upsertChunks(records: readonly PineconeRecord[]): Generator<PineconeRecord[]> {
  let chunk: PineconeRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = Buffer.byteLength(JSON.stringify(record)) + 1;
    if (
      chunk.length > 0 &&
      (chunk.length >= MAX_UPSERT_RECORDS || bytes + size > MAX_UPSERT_BYTES)
    ) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

function* fetchChunks(ids: readonly string[]): Generator<string[]> {
  let chunk: string[] = [];
  let chars = 0;
  for (const id of ids) {
    const size = encodeURIComponent(id).length + 5;
    if (chunk.length > 0 && (chunk.length >= MAX_FETCH_IDS || chars + size > MAX_FETCH_URL_CHARS)) {
      yield chunk;
      chunk = [];
      chars = 0;
    }
    chunk.push(id);
    chars += size;
  }
  if (chunk.length > 0) yield chunk;
}
