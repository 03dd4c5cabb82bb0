import {
  CallOptions,
  DeleteSelector,
  ListPage,
  ListResult,
  ReadOptions,
  ScoredRecord,
  SearchQuery,
  StoredRecord,
  TenantScope,
  VectorWrite,
} from './vector.types';

/**
 * The data plane of a backend. Every method takes the tenant scope first; an implementation
 * adds the tenant condition to every statement and returns the tenant uid it read back.
 */
export abstract class TenantVectorStore {
  /** All or nothing where the backend can promise it (see the README's guarantees table). */
  abstract upsert(
    scope: TenantScope,
    records: readonly VectorWrite[],
    call?: CallOptions,
  ): Promise<{ upserted: number }>;
  abstract fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
    call?: CallOptions,
  ): Promise<StoredRecord[]>;
  abstract delete(
    scope: TenantScope,
    selector: DeleteSelector,
    call?: CallOptions,
  ): Promise<{ deleted: number }>;
  abstract search(
    scope: TenantScope,
    query: SearchQuery,
    call?: CallOptions,
  ): Promise<ScoredRecord[]>;
  abstract count(scope: TenantScope, call?: CallOptions): Promise<number>;
  /**
   * One page of the scope's records (its tenant and namespace only, under the same tenant
   * condition as every other statement), for enumerations: dialects' listings and migration.
   *
   * - Pages come in a stable order: ascending id (compared as UTF-8 bytes) where the backend
   *   can (embedded, Milvus, Pinecone); otherwise the backend's page in `docs/backends/` says
   *   which order it keeps (pgvector: the id column's collation, bytes under `C`; Qdrant: its
   *   point ids, hashes of the keys).
   *   Following `next` from the first page visits every record present for the whole walk
   *   exactly once; a record written or deleted during the walk may or may not appear.
   * - A page holds at most `limit` records and may hold fewer, even none, and still carry
   *   `next`: with a selective `filter` (or `prefix`) a backend examines a bounded number of
   *   records per call and returns those that matched, never an unbounded scan.
   * - `cursor` is opaque to callers; a backend validates the one it gets back (see
   *   `openListPage`): a malformed cursor, or one made for another tenant or namespace, is a
   *   400 naming `cursor`, never a 500 and never a way out of the scope.
   * - `includeValues` / `includeMetadata` as in `fetch`; each record carries the tenant uid and
   *   namespace read back from storage, and callers check them like any other result (the
   *   search library's `RecordListing` passes every page through result validation).
   */
  abstract list(scope: TenantScope, page: ListPage, call?: CallOptions): Promise<ListResult>;
}
