import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { assertNotAborted } from '../../ports/call-signal';
import { jsonPosition, listCursor, openListPage, refuseCursor } from '../../ports/list-page';
import type { CallOptions, ListPage, ListResult, TenantScope } from '../../ports/vector.types';
import { LIST_SCAN_ROWS, StoredRecord } from '../../ports/vector.types';
import { compileRowFilter } from '../embedded/embedded.row-filter';
import { decodeMetadata, toStored } from './pinecone.metadata';
import { TenantIndex } from './pinecone.tenant-index';

/** Ids per list request (Pinecone's default page, and what one fetch takes). */
const LIST_BATCH = 100;
/**
 * The longest run of filter evaluation on the event loop before it yields: a record's metadata
 * (up to 40 KB of JSON) and a filter at its cost bound take a few milliseconds each.
 */
const SLICE_MS = 5;

/**
 * Where a walk stands: the Pinecone token of the list page it is in (absent for the first),
 * and the last id it returned from that page when it stopped inside it. Pinecone's tokens
 * cannot resume inside a page, so the page is listed again and the ids up to `after` skipped
 * (Pinecone lists ids in byte order).
 */
interface Position {
  readonly token?: string;
  readonly after?: string;
}

/**
 * One page of the scope's records: ids from Pinecone's list (`listPaginated`, in the scope's
 * own Pinecone namespace, by prefix; ids are stored as the caller wrote them), then a fetch of
 * those ids, whose metadata gives the tenant uid and namespace read back. Pinecone's list takes
 * no filter, so a filter is evaluated on the fetched records with the embedded backend's row
 * filter (`compileRowFilter`, the reference semantics every backend follows), over at most
 * `LIST_SCAN_ROWS` ids per page (a selective filter answers short pages with `next`), yielding
 * the event loop every `SLICE_MS` of evaluation.
 */
export async function listRecords(
  index: TenantIndex,
  scope: TenantScope,
  page: ListPage,
  call?: CallOptions,
): Promise<ListResult> {
  const opened = openListPage(scope, page);
  let { token, after } = positionOf(opened.after);
  const test = page.filter ? compileRowFilter(page.filter) : undefined;
  const budget = test ? LIST_SCAN_ROWS : opened.limit;
  const records: StoredRecord[] = [];
  const resume = (at: Position): ListResult => ({
    records,
    next: listCursor(scope, JSON.stringify(at)),
  });
  let examined = 0;
  let slice = performance.now();
  for (;;) {
    assertNotAborted(call);
    const listed = await index.listIds(opened.prefix, LIST_BATCH, token);
    let fresh = listed.ids.filter((id) => after === undefined || byteOrder(id, after) > 0);
    while (fresh.length > 0) {
      // Without a filter, only as many ids as the page still needs are fetched at a time.
      const wanted = test ? fresh : fresh.slice(0, opened.limit - records.length);
      fresh = fresh.slice(wanted.length);
      const found = new Map((await index.fetch(wanted)).map((r) => [r.id, r]));
      for (const id of wanted) {
        examined++;
        // A record deleted since it was listed is not found, and not returned.
        const record = found.get(id);
        if (record && (!test || test(decodeMetadata(record.metadata, id))))
          records.push(toStored(record, page));
        if (records.length === opened.limit) return resume({ token, after: id });
        if (test && performance.now() - slice > SLICE_MS) {
          await nextTurn();
          assertNotAborted(call);
          slice = performance.now();
        }
      }
    }
    if (listed.next === undefined) return { records };
    token = listed.next;
    after = undefined;
    if (examined >= budget) return resume({ token });
  }
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function positionOf(position: string | undefined): Position {
  if (position === undefined) return {};
  const parsed = jsonPosition(position);
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const { token, after, ...rest } = parsed as Record<string, unknown>;
    const optionalString = (v: unknown) => v === undefined || (typeof v === 'string' && v !== '');
    if (Object.keys(rest).length === 0 && optionalString(token) && optionalString(after))
      return parsed;
  }
  return refuseCursor();
}
