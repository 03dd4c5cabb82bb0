import { Injectable } from '@nestjs/common';
import { TenantVectorStore } from '../ports/tenant-vector-store';
import {
  DeleteSelector,
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

  upsert(scope: TenantScope, records: readonly VectorWrite[]): Promise<{ upserted: number }> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).upsert(scope, records),
    );
  }

  fetch(scope: TenantScope, ids: readonly string[], options: ReadOptions): Promise<StoredRecord[]> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).fetch(scope, ids, options),
    );
  }

  delete(scope: TenantScope, selector: DeleteSelector): Promise<{ deleted: number }> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).delete(scope, selector),
    );
  }

  search(scope: TenantScope, query: SearchQuery): Promise<ScoredRecord[]> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).search(scope, query),
    );
  }

  count(scope: TenantScope): Promise<number> {
    return this.fence.admit(scope.tenantUid, () =>
      this.drivers.get(scope.placement.backend).count(scope),
    );
  }
}
