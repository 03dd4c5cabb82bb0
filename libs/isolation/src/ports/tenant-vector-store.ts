import {
  CallOptions,
  DeleteSelector,
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
}
