import { Injectable } from '@nestjs/common';
import { TenantVectorStore } from '../ports/tenant-vector-store';
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
} from '../ports/vector.types';
import { BackendDrivers } from './backend-drivers';
import { ScopeFence } from './scope-fence';

/** Sends each call to the backend of the scope's placement, through the erasure fence. */
@Injectable()
export class RoutingVectorStore extends TenantVectorStore {
  constructor(
    private readonly drivers: BackendDrivers,
    private readonly fence: ScopeFence,
  ) {
    super();
  }

  upsert(
    scope: TenantScope,
    records: readonly VectorWrite[],
    call?: CallOptions,
  ): Promise<{ upserted: number }> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).upsert(scope, records, call),
    );
  }

  fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
    call?: CallOptions,
  ): Promise<StoredRecord[]> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).fetch(scope, ids, options, call),
    );
  }

  delete(
    scope: TenantScope,
    selector: DeleteSelector,
    call?: CallOptions,
  ): Promise<{ deleted: number }> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).delete(scope, selector, call),
    );
  }

  search(scope: TenantScope, query: SearchQuery, call?: CallOptions): Promise<ScoredRecord[]> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).search(scope, query, call),
    );
  }

  count(scope: TenantScope, call?: CallOptions): Promise<number> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).count(scope, call),
    );
  }

  list(scope: TenantScope, page: ListPage, call?: CallOptions): Promise<ListResult> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).list(scope, page, call),
    );
  }
}
