import { listCursor, openListPage } from '../../ports/list-page';
import { TenantVectorStore } from '../../ports/tenant-vector-store';
import { EnginePool } from './embedded.engine-pool';
import { targetOf } from './embedded.naming';

type Store = TenantVectorStore;

/**
 * The embedded data plane on the main thread: each call checks the scope's placement against
 * its uid (`targetOf`) and is handed, with its namespace, to the engine worker that owns the
 * tenant (see `EnginePool`), so no tenant's search, filter or delete runs on the event loop.
 * Every method is async, so a refused placement is a rejected promise like any other failure.
 * The statements themselves, with their tenant condition, are in `RecordTable`.
 */
export class EmbeddedRecords implements Store {
  constructor(private readonly engine: EnginePool) {}

  async upsert(
    ...[scope, records, call]: Parameters<Store['upsert']>
  ): ReturnType<Store['upsert']> {
    return this.engine.call({ op: 'upsert', target: targetOf(scope), records }, call?.signal);
  }

  async fetch(
    ...[scope, ids, options, call]: Parameters<Store['fetch']>
  ): ReturnType<Store['fetch']> {
    return this.engine.call({ op: 'fetch', target: targetOf(scope), ids, options }, call?.signal);
  }

  async delete(
    ...[scope, selector, call]: Parameters<Store['delete']>
  ): ReturnType<Store['delete']> {
    return this.engine.call({ op: 'delete', target: targetOf(scope), selector }, call?.signal);
  }

  async search(...[scope, query, call]: Parameters<Store['search']>): ReturnType<Store['search']> {
    return this.engine.call({ op: 'search', target: targetOf(scope), query }, call?.signal);
  }

  async count(...[scope, call]: Parameters<Store['count']>): ReturnType<Store['count']> {
    return this.engine.call({ op: 'count', target: targetOf(scope) }, call?.signal);
  }

  /** The cursor is checked here, on the main thread, so a bad one is a 400 and not a fault. */
  async list(...[scope, page, call]: Parameters<Store['list']>): ReturnType<Store['list']> {
    const target = targetOf(scope);
    const { after = '', limit, prefix } = openListPage(scope, page);
    const { includeValues, includeMetadata, filter } = page;
    const listed = await this.engine.call(
      {
        op: 'list',
        target,
        page: { after, limit, prefix, filter, includeValues, includeMetadata },
      },
      call?.signal,
    );
    if (listed.last === undefined) return { records: listed.records };
    return { records: listed.records, next: listCursor(scope, listed.last) };
  }
}
