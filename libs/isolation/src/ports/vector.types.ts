export const BACKENDS = ['embedded', 'milvus', 'qdrant', 'pinecone', 'pgvector'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const STRATEGIES = [
  'database',
  'collection',
  'partition',
  'partition_key',
  'namespace',
  'dedicated_index',
] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export const METRICS = ['cosine', 'euclidean', 'dot'] as const;
export type MetricName = (typeof METRICS)[number];

export const MAX_DIMENSION = 4096;

/** A tenant's physical place: which backend, which strategy, and the physical names. */
export interface Placement {
  readonly backend: BackendName;
  readonly strategy: StrategyName;
  readonly location: Readonly<Record<string, string>>;
}

/** The vector space a tenant chose at creation. */
export interface VectorSpace {
  readonly dimension: number;
  readonly metric: MetricName;
}

declare const scopeBrand: unique symbol;

/**
 * Everything a store needs to act for exactly one tenant. Only the tenancy module makes
 * scopes (see `TenantScopes`), so a store call without a resolved tenant does not compile.
 */
export interface TenantScope {
  readonly tenantId: string;
  readonly tenantUid: string;
  readonly placement: Placement;
  readonly space: VectorSpace;
  /**
   * The namespace inside the tenant every data-plane call acts in (`DEFAULT_NAMESPACE` unless
   * the request named one). A backend stores it with each record, makes it part of the tenant
   * condition of every statement and reads it back; `erase` removes every namespace.
   */
  readonly namespace: string;
  /**
   * While the tenant moves between placements: its scope in the other place (same tenant, uid,
   * space and namespace, no mirror of its own), which every write (upsert and delete) also
   * reaches, so neither place misses an acknowledged write. Reads never use it.
   */
  readonly mirror?: TenantScope;
  readonly [scopeBrand]: true;
}

/** The namespace of records written without one (and of every record written before namespaces). */
export const DEFAULT_NAMESPACE = '';
/** Another name of the default namespace, as Pinecone's SDK 8 sends it. */
export const DEFAULT_NAMESPACE_ALIAS = '__default__';
/**
 * What a namespace other than the default may be called: 1 to 64 letters, digits and
 * `_ . : @ -`, starting with a letter or digit (a leading `_` is reserved). Backends may rely on
 * this alphabet when they build physical names or keys from a namespace.
 */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;
export const MAX_NAMESPACE_LENGTH = 64;

/**
 * Whether a scope's namespace is one a backend may store: the default or a name of
 * `NAMESPACE_PATTERN` (the request layer has mapped the alias to the default already).
 */
export function isStoredNamespace(namespace: unknown): boolean {
  return (
    typeof namespace === 'string' &&
    (namespace === DEFAULT_NAMESPACE || NAMESPACE_PATTERN.test(namespace))
  );
}

/** Keys already made, per placement object (placements are never changed in place). */
const placeKeys = new WeakMap<Placement, { readonly tenantUid: string; readonly key: string }>();

/** One string per physical place of a tenant: its backend, strategy and physical names. */
export function placeKey(tenantUid: string, placement: Placement): string {
  const known = placeKeys.get(placement);
  if (known?.tenantUid === tenantUid) return known.key;
  const location = Object.entries(placement.location).sort(([a], [b]) => (a < b ? -1 : 1));
  const key = JSON.stringify([tenantUid, placement.backend, placement.strategy, location]);
  placeKeys.set(placement, { tenantUid, key });
  return key;
}

/** Builds a scope. Exported for the tenancy module and for tests; services never call it. */
export function makeTenantScope(
  fields: Omit<TenantScope, typeof scopeBrand | 'namespace'> & { readonly namespace?: string },
): TenantScope {
  if (!fields.tenantUid || !fields.tenantId)
    throw new Error('a tenant scope needs a tenant id and uid');
  return Object.freeze({
    ...fields,
    namespace: fields.namespace ?? DEFAULT_NAMESPACE,
  }) as TenantScope;
}

export type MetadataValue =
  string | number | boolean | null | MetadataValue[] | { [key: string]: MetadataValue };
export type Metadata = Record<string, MetadataValue>;

export interface VectorWrite {
  readonly id: string;
  readonly values: Float32Array;
  readonly metadata?: Metadata;
}

/** A record as read back from storage. `tenantUid` is the stored value, never the scope's. */
export interface StoredRecord {
  readonly id: string;
  readonly tenantUid: string;
  /** The stored namespace, read back like the uid. */
  readonly namespace: string;
  readonly values?: Float32Array;
  readonly metadata?: Metadata;
}

export interface ScoredRecord extends StoredRecord {
  /** Higher is more similar, for every metric. */
  readonly score: number;
}

export interface ReadOptions {
  readonly includeValues: boolean;
  readonly includeMetadata: boolean;
}

/**
 * What a call carries from its request besides the scope: the signal that aborts it when the
 * request's deadline passes or its client goes away. A backend stops its work (between slices,
 * or through the SDK) once the signal is aborted; a write that already committed stays committed.
 */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface SearchQuery extends ReadOptions {
  /**
   * Forces an exact search where the backend would otherwise answer from an approximate index
   * (the embedded backend's HNSW graphs); backends that always search exactly ignore it.
   */
  readonly exact?: boolean;
  readonly vector: Float32Array;
  readonly topK: number;
  readonly filter?: FilterNode;
}

/** The most records one page of a listing holds. */
export const MAX_LIST_LIMIT = 1000;
/**
 * The most records a backend examines for one page of a listing when a filter narrows it, where
 * the backend evaluates the filter itself: a selective filter then answers a short (even empty)
 * page with `next`, never a long scan.
 */
export const LIST_SCAN_ROWS = 2000;

/** One page of a listing (`TenantVectorStore.list`). */
export interface ListPage extends ReadOptions {
  /** Opaque, from the previous page's `next`; absent for the first page. */
  readonly cursor?: string;
  /** 1..1000 records at most on this page. */
  readonly limit: number;
  /** Only ids that start with this string. */
  readonly prefix?: string;
  readonly filter?: FilterNode;
}

export interface ListResult {
  /** The scope's records (this namespace only), in a stable order. */
  readonly records: StoredRecord[];
  /** Present while more records may remain; pass it back as `cursor`. */
  readonly next?: string;
}

export type DeleteSelector =
  | { readonly kind: 'ids'; readonly ids: readonly string[] }
  | { readonly kind: 'filter'; readonly filter: FilterNode }
  | { readonly kind: 'all' };

export type Scalar = string | number | boolean;
export type ComparisonOperator = '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte';
export type SetOperator = '$in' | '$nin';

/**
 * A validated user filter. Fields always address metadata, never storage columns; a dotted
 * field names a literal dotted key when the record has it, else a nested path
 * (`metadata-fields.ts` states the rule every backend follows). A missing field, null or an
 * object matches no comparison, `$ne` and `$nin` included; `$exists: false` is the one test it
 * passes.
 */
export type FilterNode =
  | { readonly op: '$and' | '$or'; readonly nodes: readonly FilterNode[] }
  | { readonly op: ComparisonOperator; readonly field: string; readonly value: Scalar }
  | { readonly op: SetOperator; readonly field: string; readonly values: readonly Scalar[] }
  | { readonly op: '$exists'; readonly field: string; readonly value: boolean };
