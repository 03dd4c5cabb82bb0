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
import { MigrationGate } from './migration-gate';
import { ScopeFence } from './scope-fence';

/**
 * Sends each call to the backend of the scope's placement, through the erasure fence. A
 * moving tenant's writes also reach its other place (the scope's mirror), under the migration
 * gate; reads stay in the scope's placement.
 */
@Injectable()
export class RoutingVectorStore extends TenantVectorStore {
  constructor(
    private readonly drivers: BackendDrivers,
    private readonly fence: ScopeFence,
    private readonly gate: MigrationGate,
  ) {
    super();
  }

  upsert(
    scope: TenantScope,
    records: readonly VectorWrite[],
    call?: CallOptions,
  ): Promise<{ upserted: number }> {
    return this.write(scope, call, (s) =>
      this.drivers.get(s.placement.backend).upsert(s, records, call),
    );
  }

  fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
    call?: CallOptions,
  ): Promise<StoredRecord[]> {
    return this.fence.admit(scope, () =>
      this.drivers.get(scope.placement.backend).fetch(scope, ids, options, call),
    );
  }

  delete(
    scope: TenantScope,
    selector: DeleteSelector,
    call?: CallOptions,
  ): Promise<{ deleted: number }> {
    return this.write(scope, call, (s) =>
      this.drivers.get(s.placement.backend).delete(s, selector, call),
    );
  }

  search(scope: TenantScope, query: SearchQuery, call?: CallOptions): Promise<ScoredRecord[]> {
    return this.fence.admit(scope, () =>
      this.drivers.get(scope.placement.backend).search(scope, query, call),
    );
  }

  count(scope: TenantScope, call?: CallOptions): Promise<number> {
    return this.fence.admit(scope, () =>
      this.drivers.get(scope.placement.backend).count(scope, call),
    );
  }
  list(scope: TenantScope, page: ListPage, call?: CallOptions): Promise<ListResult> {
    return this.fence.admit(scope, () =>
      this.drivers.get(scope.placement.backend).list(scope, page, call),
    );
  }

  /**
   * A write in the scope's place, then in its mirror while the tenant moves (skipped once the
   * mirror is being erased: a cancelled copy or the place the tenant left). The answer is the
   * scope's place's.
   */
  private write<T>(
    scope: TenantScope,
    call: CallOptions | undefined,
    apply: (scope: TenantScope) => Promise<T>,
  ): Promise<T> {
    const mirror = scope.mirror;
    // Without a mirror no gate: the migration's own copy writes are such writes.
    if (!mirror) return this.fence.admit(scope, () => apply(scope));
    return this.gate.write(
      scope.tenantUid,
      async () => {
        const answer = await this.fence.admit(scope, () => apply(scope));
        if (!this.fence.isRetired(mirror)) await this.fence.admit(mirror, () => apply(mirror));
        return answer;
      },
      call?.signal,
    );
  }
}
