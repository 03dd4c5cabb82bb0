import type { Schemas } from '@qdrant/js-client-rest';
import {
  DEFAULT_NAMESPACE,
  Metadata,
  MetricName,
  ReadOptions,
  StoredRecord,
  TenantScope,
  VectorWrite,
} from '../../ports/vector.types';
import { RawScores, TENANT_FIELD } from '../../ports/backend-rules';
export { TENANT_FIELD } from '../../ports/backend-rules';

/**
 * The namespace inside the tenant, on every point written since namespaces exist (a keyword
 * index). Points written before have none: they are the default namespace's.
 */
export const NAMESPACE_FIELD = '_vg_ns';
/** The caller's record id, kept verbatim: the point id is only a hash of it. */
export const ID_FIELD = '_vg_id';
/**
 * The caller's top-level metadata keys whose value a comparison can look at (a string, number,
 * boolean or array), so `$ne`/`$nin` can require such a field as SQLite's `json_type` check does:
 * Qdrant has no condition that tells an object or a null from a comparable value.
 */
export const KEYS_FIELD = '_vg_keys';
/**
 * The caller's metadata, nested under one key: system fields and caller keys can never
 * collide, and a filter can only address `metadata.<field>`.
 */
export const METADATA_FIELD = 'metadata';

/** The vector Qdrant searches, with the tenant's metric. */
export const SEARCH_VECTOR = 'v';
/**
 * Under cosine, Qdrant normalises vectors on upload and returns them normalised; the caller's
 * exact values are kept in this second vector (dot metric, which stores vectors as given; no
 * HNSW graph, on disk), which is what reads return.
 */
export const RAW_VECTOR = 'v_raw';

const DISTANCE: Record<MetricName, Schemas['Distance']> = {
  cosine: 'Cosine',
  euclidean: 'Euclid',
  dot: 'Dot',
};

export function vectorsConfig(dimension: number, metric: MetricName): Schemas['VectorsConfig'] {
  const search: Schemas['VectorParams'] = { size: dimension, distance: DISTANCE[metric] };
  if (metric !== 'cosine') return { [SEARCH_VECTOR]: search };
  return {
    [SEARCH_VECTOR]: search,
    [RAW_VECTOR]: { size: dimension, distance: 'Dot', on_disk: true, hnsw_config: { m: 0 } },
  };
}

/** The vector whose stored values equal the caller's. */
export function storedVectorName(metric: MetricName): string {
  return metric === 'cosine' ? RAW_VECTOR : SEARCH_VECTOR;
}

/** Qdrant scores: cosine similarity, Euclidean distance (lower is closer), dot product. */
export const QDRANT_SCORES: RawScores = {
  cosine: 'similarity',
  dot: 'similarity',
  euclidean: 'distance',
};

export function comparableKeys(metadata: Metadata | undefined): string[] {
  if (!metadata) return [];
  return Object.keys(metadata).filter((key) => {
    const value = metadata[key];
    return (
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean' ||
      Array.isArray(value)
    );
  });
}

/** The point of a record in the scope's namespace; `pointId` is the hash of its key. */
export function toPoint(
  scope: Pick<TenantScope, 'tenantUid' | 'namespace' | 'space'>,
  pointId: string,
  record: VectorWrite,
): Schemas['PointStruct'] {
  const values = Array.from(record.values);
  const vector: Record<string, number[]> = { [SEARCH_VECTOR]: values };
  if (scope.space.metric === 'cosine') vector[RAW_VECTOR] = values;
  return {
    id: pointId,
    vector,
    payload: {
      [TENANT_FIELD]: scope.tenantUid,
      [NAMESPACE_FIELD]: scope.namespace,
      [ID_FIELD]: record.id,
      [KEYS_FIELD]: comparableKeys(record.metadata),
      [METADATA_FIELD]: record.metadata ?? {},
    },
  };
}

/** The payload fields a read asks for: never more than it returns. */
export function payloadSelector(options: ReadOptions): string[] {
  const system = [TENANT_FIELD, NAMESPACE_FIELD, ID_FIELD];
  return options.includeMetadata ? [...system, METADATA_FIELD] : system;
}

export function vectorSelector(options: ReadOptions, metric: MetricName): string[] | false {
  return options.includeValues ? [storedVectorName(metric)] : false;
}

type ReadPoint = Pick<Schemas['Record'], 'id' | 'payload' | 'vector'>;

/**
 * A record as read back: the id, tenant uid and namespace are the stored payload values, never
 * the scope's. A point without `_vg_ns` (written before namespaces, or around the gateway with
 * a minted token) is in the default namespace, as the default namespace's condition says. A
 * point written around the gateway without `_vg_id` reads with its Qdrant id; one without
 * `_vg_tenant` reads with an empty uid, which result validation refuses (and the tenant
 * condition keeps it out of every read anyway).
 */
export function fromPoint(
  point: ReadPoint,
  options: ReadOptions,
  metric: MetricName,
): StoredRecord {
  const payload = point.payload ?? {};
  const storedUid = payload[TENANT_FIELD];
  const storedId = payload[ID_FIELD];
  const storedNamespace = payload[NAMESPACE_FIELD];
  const record: { -readonly [K in keyof StoredRecord]: StoredRecord[K] } = {
    id: typeof storedId === 'string' ? storedId : String(point.id),
    tenantUid: typeof storedUid === 'string' ? storedUid : '',
    namespace: typeof storedNamespace === 'string' ? storedNamespace : DEFAULT_NAMESPACE,
  };
  if (options.includeValues) {
    const values = namedVector(point.vector, storedVectorName(metric));
    if (values) record.values = Float32Array.from(values);
  }
  if (options.includeMetadata) {
    const metadata = payload[METADATA_FIELD];
    record.metadata =
      typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
        ? (metadata as Metadata)
        : {};
  }
  return record;
}

function namedVector(vector: ReadPoint['vector'], name: string): number[] | undefined {
  if (!vector || Array.isArray(vector)) return undefined;
  const values = (vector as Record<string, unknown>)[name];
  return Array.isArray(values) && values.every((v) => typeof v === 'number') ? values : undefined;
}
