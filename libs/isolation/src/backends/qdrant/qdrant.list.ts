import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import { abandonOnAbort } from '../../ports/call-signal';
import { jsonPosition, listCursor, openListPage, refuseCursor } from '../../ports/list-page';
import {
  CallOptions,
  LIST_SCAN_ROWS,
  ListPage,
  ListResult,
  StoredRecord,
  TenantScope,
} from '../../ports/vector.types';
import { qdrantCall } from './qdrant.errors';
import { QdrantFilter } from './qdrant.filter';
import { QdrantLocation } from './qdrant.naming';
import { fromPoint, ID_FIELD, payloadSelector, vectorSelector } from './qdrant.payload';
import { shardSelector } from './qdrant.points';
import { withUserFilter } from './qdrant.scope';

type PointId = Schemas['ExtendedPointId'];
type Selectors = Pick<Schemas['ScrollRequest'], 'with_payload' | 'with_vector'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * One page of the scope's points through `scroll`, in Qdrant's point id order (the ids are
 * hashes of the record keys, so the order is stable but not the callers' id order). The scope
 * conditions and the caller's filter go to Qdrant, which evaluates the filter itself; the
 * cursor holds the `offset` the next page starts at (`next_page_offset`).
 *
 * Qdrant has no prefix condition on a keyword, so with a prefix the page is chosen from the
 * stored ids (`_vg_id`) of at most `LIST_SCAN_ROWS` points, read without vectors or metadata,
 * and the chosen points are then read in full: a prefix that few ids share gives short pages
 * with `next`, two bounded requests each.
 */
export async function listPoints(
  client: QdrantClient,
  scope: TenantScope,
  location: QdrantLocation,
  page: ListPage,
  call?: CallOptions,
): Promise<ListResult> {
  const opened = openListPage(scope, page);
  const offset = offsetOf(opened.after);
  const filter = withUserFilter(scope, page.filter);
  if (!filter) return { records: [] };
  const metric = scope.space.metric;
  const full = { with_payload: payloadSelector(page), with_vector: vectorSelector(page, metric) };
  const scroll = (where: QdrantFilter, limit: number, selectors: Selectors, from?: PointId) =>
    abandonOnAbort(call, () =>
      qdrantCall('list points', () =>
        client.scroll(location.collection, {
          filter: where,
          limit,
          ...(from === undefined ? {} : { offset: from }),
          ...selectors,
          ...shardSelector(location),
        }),
      ),
    );
  const paged = (records: StoredRecord[], next: PointId | null | undefined): ListResult =>
    next === null || next === undefined
      ? { records }
      : { records, next: listCursor(scope, JSON.stringify(next)) };

  if (opened.prefix === '') {
    const result = await scroll(filter, opened.limit, full, offset);
    const records = result.points.map((point) => fromPoint(point, page, metric));
    return paged(records, result.next_page_offset as PointId | null | undefined);
  }
  const scanned = await scroll(filter, LIST_SCAN_ROWS, { with_payload: [ID_FIELD] }, offset);
  const { chosen, next } = choose(scanned, opened.prefix, opened.limit);
  if (chosen.length === 0) return paged([], next);
  const read = await scroll({ must: [filter, { has_id: chosen }] }, chosen.length, full);
  return paged(
    read.points.map((point) => fromPoint(point, page, metric)),
    next,
  );
}

/** The ids of the first `limit` scanned points whose record id has the prefix, and the offset after. */
function choose(
  scanned: Schemas['ScrollResult'],
  prefix: string,
  limit: number,
): { chosen: PointId[]; next: PointId | null | undefined } {
  const chosen: PointId[] = [];
  for (const point of scanned.points) {
    if (chosen.length === limit) return { chosen, next: point.id };
    const stored = point.payload?.[ID_FIELD];
    const id = typeof stored === 'string' ? stored : String(point.id);
    if (id.startsWith(prefix)) chosen.push(point.id);
  }
  return { chosen, next: scanned.next_page_offset as PointId | null | undefined };
}

/** The point id a cursor's position names: a UUID or an unsigned integer, as JSON. */
function offsetOf(position: string | undefined): PointId | undefined {
  if (position === undefined) return undefined;
  const parsed = jsonPosition(position);
  if (typeof parsed === 'string' && UUID.test(parsed)) return parsed;
  if (typeof parsed === 'number' && Number.isSafeInteger(parsed) && parsed >= 0) return parsed;
  return refuseCursor();
}
