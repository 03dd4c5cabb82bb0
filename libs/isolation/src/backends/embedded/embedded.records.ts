import { heavyTurn } from '@vecgate/core';
import { listCursor, openListPage } from '../../ports/list-page';
import { assertNotAborted } from '../../ports/call-signal';
import type { CallOptions, Metadata, StoredRecord } from '../../ports/vector.types';
import { TenantVectorStore } from '../../ports/tenant-vector-store';
import { EnginePool } from './embedded.engine-pool';
import { targetOf } from './embedded.naming';
import type { OnWire } from './embedded.wire-records';

/** Characters of metadata JSON parsed in one turn of the event loop. */
const PARSE_SLICE_CHARS = 256 * 1024;

/**
 * The records of a worker's answer with their metadata as objects. A large answer's metadata
 * came as text (`metadataAsText`): it is parsed here, `PARSE_SLICE_CHARS` at a time, one slice
 * per turn of the event loop (`heavyTurn`), so other requests are served between slices.
 */
async function fromWire<R extends StoredRecord>(
  records: OnWire<R>[],
  call: CallOptions | undefined,
): Promise<R[]> {
  if (!records.some((r) => r.metadataText !== undefined)) return records;
  const out: R[] = [];
  let chars = 0;
  for (const { metadataText, ...rest } of records) {
    const record = rest as unknown as { -readonly [K in keyof R]: R[K] };
    if (metadataText !== undefined) {
      if (chars >= PARSE_SLICE_CHARS) {
        await heavyTurn();
        // An answer no one waits for any more (deadline, client gone) is not parsed on.
        assertNotAborted(call);
        chars = 0;
      }
      record.metadata = JSON.parse(metadataText) as Metadata;
      chars += metadataText.length;
    }
    out.push(record);
  }
  return out;
}

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
    const target = targetOf(scope);
    return fromWire(
      await this.engine.call({ op: 'fetch', target, ids, options }, call?.signal),
      call,
    );
  }

  async delete(
    ...[scope, selector, call]: Parameters<Store['delete']>
  ): ReturnType<Store['delete']> {
    return this.engine.call({ op: 'delete', target: targetOf(scope), selector }, call?.signal);
  }

  async search(...[scope, query, call]: Parameters<Store['search']>): ReturnType<Store['search']> {
    const target = targetOf(scope);
    return fromWire(await this.engine.call({ op: 'search', target, query }, call?.signal), call);
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
    const records = await fromWire(listed.records, call);
    if (listed.last === undefined) return { records };
    return { records, next: listCursor(scope, listed.last) };
  }
}
