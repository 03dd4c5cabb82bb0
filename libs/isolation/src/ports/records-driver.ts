import { TenantVectorStore } from './tenant-vector-store';
import { VectorBackendDriver } from './vector-backend.driver';

type Store = TenantVectorStore;

/**
 * A driver whose data plane is one object with the store's own methods (its `<b>.records.ts`,
 * which checks the scope's placement itself): every data-plane call goes to it unchanged, so
 * a facade holds only the control plane.
 */
export abstract class RecordsDriver extends VectorBackendDriver {
  protected abstract readonly records: Store;

  upsert(...args: Parameters<Store['upsert']>): ReturnType<Store['upsert']> {
    return this.records.upsert(...args);
  }

  fetch(...args: Parameters<Store['fetch']>): ReturnType<Store['fetch']> {
    return this.records.fetch(...args);
  }

  delete(...args: Parameters<Store['delete']>): ReturnType<Store['delete']> {
    return this.records.delete(...args);
  }

  search(...args: Parameters<Store['search']>): ReturnType<Store['search']> {
    return this.records.search(...args);
  }

  count(...args: Parameters<Store['count']>): ReturnType<Store['count']> {
    return this.records.count(...args);
  }

  list(...args: Parameters<Store['list']>): ReturnType<Store['list']> {
    return this.records.list(...args);
  }
}
