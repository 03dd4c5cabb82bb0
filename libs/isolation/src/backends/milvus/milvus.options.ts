import { MetricName } from '../../ports/vector.types';

/** TLS to the Milvus proxy. Paths are read once, when the client is made. */
export interface MilvusTlsOptions {
  /** PEM of the CA that signs the server certificate (one-way TLS). */
  readonly rootCertPath?: string;
  /** PEM client certificate and key, both or neither (mutual TLS). */
  readonly certChainPath?: string;
  readonly privateKeyPath?: string;
  /** Expected name in the server certificate, when it differs from the address host. */
  readonly serverName?: string;
}

/**
 * Cluster limits, as data. Milvus defaults: `rootCoord.maxDatabaseNum` 64 (the `default`
 * database included), `quotaAndLimits.limits.maxCollectionNum` 65,536,
 * `rootCoord.maxPartitionNum` 1,024 per collection (its `_default` partition included).
 * Clusters change them, so they are options.
 */
export interface MilvusLimits {
  readonly databases: number;
  readonly collections: number;
  readonly partitionsPerCollection: number;
}

export const MILVUS_DEFAULT_LIMITS: MilvusLimits = {
  databases: 64,
  collections: 65_536,
  partitionsPerCollection: 1_024,
};

/**
 * One record's metadata Milvus stores, in bytes of JSON: a JSON field holds at most 65,536
 * bytes (the derived `_vg_filter` field is a second JSON field with its own limit).
 */
export const MILVUS_METADATA_CAPACITY = 65_536;

/** Index types vecgate lets a deployment choose for the vector field. */
export const MILVUS_INDEX_TYPES = [
  'AUTOINDEX',
  'FLAT',
  'HNSW',
  'IVF_FLAT',
  'IVF_SQ8',
  'DISKANN',
] as const;
export type MilvusIndexType = (typeof MILVUS_INDEX_TYPES)[number];

export interface MilvusOptions {
  /** `host:port`, or `https://host:port` (TLS). */
  readonly address: string;
  /** `user:password` or an API key, sent as the `authorization` metadata of every call. */
  readonly token?: string;
  /** TLS settings; an `https://` address alone also turns TLS on (system CAs). */
  readonly tls?: MilvusTlsOptions & { readonly enabled: boolean };
  /** Database holding the collection, partition and partition_key places (`default`). */
  readonly database: string;
  /**
   * Shared collections by vector space: `"1536:cosine" → "vg_shared_1536_cosine"`. The name
   * is the partition_key collection; the partition strategy uses `<name>_part` (a Milvus
   * collection with a partition-key field refuses manually created partitions).
   */
  readonly sharedCollections: Readonly<Record<string, string>>;
  readonly indexType: MilvusIndexType;
  readonly limits: MilvusLimits;
  /** Deadline of each call, ms. */
  readonly timeoutMs: number;
  /** Retries of the SDK's interceptor on transient gRPC failures. */
  readonly maxRetries: number;
  /** How long provisioning waits for a new place to be loaded, ms. */
  readonly loadTimeoutMs: number;
}

/** The key of the shared-collection map for a vector space. */
export function spaceKey(dimension: number, metric: MetricName): string {
  return `${dimension}:${metric}`;
}

export const MILVUS_DEFAULTS = {
  database: 'default',
  indexType: 'AUTOINDEX',
  timeoutMs: 15_000,
  maxRetries: 3,
  loadTimeoutMs: 60_000,
} as const satisfies Partial<MilvusOptions>;
