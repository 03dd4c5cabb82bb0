import { verify, TokenExpiredError, JsonWebTokenError } from 'jsonwebtoken';
import { compileFilter } from './filter-model';
import { QdrantModel } from './model';

/**
 * A model of Qdrant's JWT RBAC (QDRANT__SERVICE__JWT_RBAC=true), after Qdrant v1.18.3's
 * `src/common/auth/{mod,jwt_parser,claims}.rs` and `lib/storage/src/rbac/mod.rs`:
 * - the API key itself grants everything;
 * - a JWT is HS256 over the API key, `exp` checked with 30 s leeway; an expired or badly
 *   signed token is 403, an unparsable one 401;
 * - `value_exists`: a scroll (limit 1) of the named collection with `must` matches; a missing
 *   collection is 403, no matching point is 401;
 * - `access` in list form grants per collection: `r` reads, `rw` reads and writes points;
 *   nothing outside the listed collections, and no collection management; listing collections
 *   answers only the listed ones (`src/common/collections.rs` do_list_collections).
 */

export interface AuthDecision {
  readonly status: number;
  readonly error?: string;
  /** For GET /collections under a collection list: the names the caller may see. */
  readonly visible?: readonly string[];
}

const READ_ROUTES = /^(GET (exists)?|POST points\/(scroll|count|query|search))$/;
const WRITE_ROUTES = /^(PUT points|POST points\/delete|PUT index)$/;

interface CollectionAccess {
  readonly collection: string;
  readonly access: string;
}

export function authorize(
  model: QdrantModel,
  apiKey: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  method: string,
  path: string,
): AuthDecision {
  if (method === 'GET' && (path === '/' || path === '/healthz')) return { status: 200 };
  const key = headers['api-key'];
  if (key === apiKey) return { status: 200 };
  const auth = headers.authorization;
  const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : key;
  if (typeof token !== 'string') {
    return { status: 401, error: 'Must provide an API key or an Authorization bearer token' };
  }
  let claims: Record<string, unknown>;
  try {
    claims = verify(token, apiKey, { algorithms: ['HS256'], clockTolerance: 30 }) as Record<
      string,
      unknown
    >;
  } catch (err) {
    if (err instanceof TokenExpiredError)
      return { status: 403, error: `Forbidden: ${err.message}` };
    if (err instanceof JsonWebTokenError && err.message === 'invalid signature') {
      return { status: 403, error: `Forbidden: ${err.message}` };
    }
    return { status: 401, error: 'Invalid API key or JWT' };
  }
  const exists = claims.value_exists as
    { collection: string; matches: { key: string; value: unknown }[] } | undefined;
  if (exists) {
    const collection = model.collections.get(exists.collection);
    if (!collection) return { status: 403, error: 'Invalid JWT, stateful validation failed' };
    const predicate = compileFilter({
      must: exists.matches.map((m) => ({ key: m.key, match: { value: m.value } })),
    });
    if (![...collection.points.values()].some((p) => predicate(p))) {
      return { status: 401, error: 'Invalid JWT, stateful validation failed' };
    }
  }
  const access = claims.access;
  if (access === undefined || access === 'm') return { status: 200 };
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (access === 'r') {
    return method === 'GET' ? { status: 200 } : { status: 403, error: 'Forbidden: read only' };
  }
  if (Array.isArray(access) && method === 'GET' && path === '/collections') {
    return { status: 200, visible: (access as CollectionAccess[]).map((a) => a.collection) };
  }
  if (!Array.isArray(access) || parts[0] !== 'collections' || parts.length < 2) {
    return { status: 403, error: 'Forbidden: Global access is required' };
  }
  const name = parts[1] as string;
  const grant = (access as CollectionAccess[]).find((a) => a.collection === name);
  if (!grant) return { status: 403, error: `Forbidden: Access to collection ${name} is required` };
  const route = `${method} ${parts.slice(2).join('/')}`;
  if (READ_ROUTES.test(route)) return { status: 200 };
  if (WRITE_ROUTES.test(route) && grant.access === 'rw') return { status: 200 };
  return {
    status: 403,
    error: `Forbidden: ${grant.access} access to ${name} does not allow ${route}`,
  };
}
