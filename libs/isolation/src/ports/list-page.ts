import { createHash } from 'node:crypto';
import { BadRequestError } from '@vecgate/core';
import { ListPage, MAX_LIST_LIMIT, TenantScope } from './vector.types';

/** Ids are at most 512 characters; a longer prefix can match nothing. */
const MAX_PREFIX_LENGTH = 512;
/** Room for the longest id (or a backend's own token) once encoded. */
const MAX_CURSOR_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A page request once checked: where the previous page ended, in the backend's own terms. */
export interface OpenedListPage {
  /** The position the previous page ended at (an id, a backend's token); absent at the start. */
  readonly after?: string;
  readonly limit: number;
  /** `''` when the page has none. */
  readonly prefix: string;
}

/**
 * Checks a page request against its scope: `limit` in 1..`MAX_LIST_LIMIT`, a bounded `prefix`,
 * and a `cursor` this scope's `listCursor` made. A cursor carries a digest of the tenant uid and
 * namespace it was made for, so one from another tenant or namespace is refused like a
 * malformed one (400 naming `cursor`) instead of positioning a walk elsewhere.
 */
export function openListPage(scope: TenantScope, page: ListPage): OpenedListPage {
  const { limit, prefix = '', cursor } = page;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)
    throw new BadRequestError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`, 'limit');
  if (typeof prefix !== 'string' || prefix.length > MAX_PREFIX_LENGTH)
    throw new BadRequestError(
      `prefix must be a string of at most ${MAX_PREFIX_LENGTH} characters`,
      'prefix',
    );
  if (cursor === undefined) return { limit, prefix };
  return { after: positionOf(scope, cursor), limit, prefix };
}

/** The cursor a page that ended at `position` hands back as `next`. */
export function listCursor(scope: TenantScope, position: string): string {
  return `${scopeTag(scope)}.${Buffer.from(position, 'utf8').toString('base64url')}`;
}

/** The 400 a cursor this listing cannot have made gets, naming `cursor`. */
export function refuseCursor(why = 'malformed'): never {
  throw new BadRequestError(`the cursor is not one of this listing (${why})`, 'cursor');
}

/**
 * A position a backend wrote as JSON (a point id, a token and an id), parsed; anything else
 * is refused like a malformed cursor. The backend then checks the value's shape.
 */
export function jsonPosition(position: string): unknown {
  try {
    return JSON.parse(position) as unknown;
  } catch {
    return refuseCursor();
  }
}

function positionOf(scope: TenantScope, cursor: unknown): string {
  const refuse = refuseCursor;
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH)
    return refuse('malformed');
  const dot = cursor.indexOf('.');
  const tag = cursor.slice(0, dot);
  const body = cursor.slice(dot + 1);
  if (dot < 0 || !BASE64URL.test(body)) return refuse('malformed');
  if (tag !== scopeTag(scope)) return refuse('made for another namespace or tenant');
  const position = Buffer.from(body, 'base64url').toString('utf8');
  // Round-trips only when the body was canonical base64url of well-formed UTF-8.
  if (position.length === 0 || listCursor(scope, position) !== cursor) return refuse('malformed');
  return position;
}

function scopeTag(scope: TenantScope): string {
  return createHash('sha256')
    .update(`${scope.tenantUid}\0${scope.namespace}`)
    .digest('base64url')
    .slice(0, 16);
}
