import type { Schemas } from '@qdrant/js-client-rest';
import { BadRequestError } from '@vecgate/core';
import { MAX_LIST_LIMIT, TenantScope } from '@vecgate/isolation';
import { RecordListing, RequestTrace } from '@vecgate/search';
import type { FieldCheck } from './qdrant-filter';
import { pointIdOf } from './qdrant-ids';
import { pointOf, PointShape } from './qdrant-payload';
import { count } from './qdrant-search';
import { Selection, translateSelection } from './qdrant-selection';
import { asSent } from '../field-names';

/** Pages one scroll or filtered count may read from the backend before it answers. */
export const SCROLL_PAGES = 10;
export const COUNT_PAGES = 50;

/**
 * Qdrant's scroll over `RecordListing`: `next_page_offset` is the listing's opaque cursor
 * (a string the client hands back as `offset`), not a point id, so a scroll starts from the
 * first page or from an offset this API returned. A page is filled from up to SCROLL_PAGES
 * backend pages, since a selective filter makes short ones.
 */
export async function scroll(
  listing: RecordListing,
  scope: TenantScope,
  body: Record<string, unknown>,
  shape: PointShape,
  trace: RequestTrace,
  check: FieldCheck,
): Promise<Schemas['ScrollResult']> {
  if (body.order_by !== undefined && body.order_by !== null)
    throw new BadRequestError('order_by is not supported: points come in id order', 'order_by');
  const limit = count(body.limit, 'limit', 10, 1);
  if (limit > MAX_LIST_LIMIT)
    throw new BadRequestError(`must be at most ${MAX_LIST_LIMIT}`, 'limit');
  const offset = body.offset;
  if (offset !== undefined && offset !== null && typeof offset !== 'string')
    throw new BadRequestError('offset is the next_page_offset of a previous scroll', 'offset');
  const { filter, ids } = translateSelection(body.filter, check);
  const points: Schemas['Record'][] = [];
  let cursor = offset ?? undefined;
  for (let page = 0; page < SCROLL_PAGES && points.length < limit; page++) {
    const found = await listing
      .page(
        scope,
        {
          cursor,
          limit: limit - points.length,
          filter,
          includeValues: shape.vector,
          includeMetadata: shape.payload !== false,
        },
        trace,
      )
      .catch(OFFSET_NAMES);
    for (const record of found.records) {
      if (ids && !ids.has(record.id)) continue;
      const point = pointOf(record, shape, scope.space.metric);
      if (point) points.push(point);
    }
    cursor = found.next;
    if (cursor === undefined) break;
  }
  // Qdrant gives no next_page_offset when no point follows; a full page looks one point ahead.
  if (cursor !== undefined && points.length === limit) {
    const more = await anyAfter(listing, scope, cursor, { filter, ids }, trace);
    if (!more) cursor = undefined;
  }
  return { points, next_page_offset: cursor ?? null };
}

/**
 * Whether a point the selection takes follows `cursor`: read one at a time, at most
 * SCROLL_PAGES pages, without values or payload. Undecided (pages left unread) counts as yes.
 */
async function anyAfter(
  listing: RecordListing,
  scope: TenantScope,
  from: string,
  { filter, ids }: Selection,
  trace: RequestTrace,
): Promise<boolean> {
  let cursor: string | undefined = from;
  for (let page = 0; page < SCROLL_PAGES && cursor !== undefined; page++) {
    const request = { cursor, limit: 1, filter, includeValues: false, includeMetadata: false };
    const found = await listing.page(scope, request, trace);
    // What the scroll would answer: in the selection, and with a Qdrant form of its id.
    const answered = (id: string): boolean => (!ids || ids.has(id)) && pointIdOf(id) !== undefined;
    if (found.records.some((record) => answered(record.id))) return true;
    cursor = found.next;
  }
  return cursor !== undefined;
}

/** A scroll's position is vecgate's listing `cursor`, a Qdrant client's `offset`. */
const OFFSET_NAMES = asSent([[/^cursor/, 'offset']]);

/**
 * The points matching a filter, counted over listing pages of up to MAX_LIST_LIMIT; past
 * COUNT_PAGES pages the count is refused rather than run long.
 */
export async function countMatching(
  listing: RecordListing,
  scope: TenantScope,
  { filter, ids }: Selection,
  trace: RequestTrace,
): Promise<number> {
  let total = 0;
  let cursor: string | undefined;
  for (let page = 0; page < COUNT_PAGES; page++) {
    const found = await listing.page(scope, { cursor, limit: MAX_LIST_LIMIT, filter }, trace);
    total += ids ? found.records.filter((r) => ids.has(r.id)).length : found.records.length;
    cursor = found.next;
    if (cursor === undefined) return total;
  }
  throw new BadRequestError(
    `a count with a filter reads at most ${COUNT_PAGES} pages of ${MAX_LIST_LIMIT} points; ` +
      'narrow the filter, or count without one',
    'filter',
  );
}
