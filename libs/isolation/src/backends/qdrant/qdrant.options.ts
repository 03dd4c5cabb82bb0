import { MAX_DIMENSION, METRICS, MetricName } from '../../ports/vector.types';

/** A collection configured for one vector space (a shared place is keyed by the pair). */
export interface QdrantSpaceCollection {
  readonly dimension: number;
  readonly metric: MetricName;
  readonly collection: string;
}

export interface QdrantOptions {
  /** REST endpoint, e.g. `http://qdrant:6333`. */
  readonly url: string;
  /** Sent as `api-key` on every call; with JWT RBAC on, it also signs minted Qdrant tokens. */
  readonly apiKey?: string;
  /** `partition_key`: one shared collection per (dimension, metric). */
  readonly sharedCollections: readonly QdrantSpaceCollection[];
  /** `partition`: one custom-sharded collection per (dimension, metric), a shard key per tenant. */
  readonly shardedCollections: readonly QdrantSpaceCollection[];
  /** Per-call timeout; a call that exceeds it is a 503. */
  readonly timeoutMs: number;
  /** Tenants on the `collection` strategy (one Qdrant collection each). */
  readonly maxCollections: number;
  /** Tenants (shard keys) per custom-sharded collection. */
  readonly maxShardKeys: number;
  /** Upper bound of a minted Qdrant token's lifetime, seconds. */
  readonly tokenMaxTtlSeconds: number;
  /** The URL holders of minted tokens should call (defaults to `url`). */
  readonly publicUrl?: string;
}

export const QDRANT_DEFAULTS = {
  timeoutMs: 30_000,
  maxCollections: 1000,
  maxShardKeys: 1024,
  tokenMaxTtlSeconds: 3600,
} as const;

/**
 * One record's metadata vecgate stores in a Qdrant payload, in bytes of JSON. Qdrant bounds a
 * payload only by its request size (32 MB), but the payload holds the metadata, the comparable
 * field list and the resolved dotted fields: about twice the metadata.
 */
export const QDRANT_METADATA_CAPACITY = 256 * 1024;

/** Names vecgate gives or accepts for Qdrant collections (Qdrant itself allows more). */
export const COLLECTION_NAME = /^[A-Za-z0-9_-]{1,255}$/;
/** Prefix of per-tenant collections; configured shared collections may not use it. */
export const TENANT_COLLECTION_PREFIX = 'vg_t_';
/** The collection of token grants that minted tokens' `value_exists` condition looks up. */
export const GRANTS_COLLECTION = 'vg_token_grants';

/** Every problem of the options, each naming the setting at fault; empty when they are valid. */
export function qdrantOptionProblems(options: QdrantOptions): string[] {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(options.url);
  } catch {
    problems.push(`url: "${options.url}" is not a URL`);
  }
  if (url && url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push('url: must start with http:// or https://');
  }
  if (options.apiKey !== undefined && options.apiKey.length === 0) {
    problems.push('apiKey: must not be empty');
  }
  for (const [name, value, min] of [
    ['timeoutMs', options.timeoutMs, 100],
    ['maxCollections', options.maxCollections, 1],
    ['maxShardKeys', options.maxShardKeys, 1],
    ['tokenMaxTtlSeconds', options.tokenMaxTtlSeconds, 60],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      problems.push(`${name}: must be an integer of at least ${min}`);
    }
  }
  const used = new Map<string, string>();
  for (const [setting, list] of [
    ['sharedCollections', options.sharedCollections],
    ['shardedCollections', options.shardedCollections],
  ] as const) {
    const pairs = new Set<string>();
    for (const entry of list) {
      const pair = `${entry.dimension}:${entry.metric}`;
      if (
        !Number.isInteger(entry.dimension) ||
        entry.dimension < 1 ||
        entry.dimension > MAX_DIMENSION
      ) {
        problems.push(
          `${setting}: ${pair}: dimension must be an integer from 1 to ${MAX_DIMENSION}`,
        );
      }
      if (!(METRICS as readonly string[]).includes(entry.metric)) {
        problems.push(`${setting}: ${pair}: metric must be one of ${METRICS.join(', ')}`);
      }
      if (pairs.has(pair)) problems.push(`${setting}: ${pair} is mapped twice`);
      pairs.add(pair);
      if (!COLLECTION_NAME.test(entry.collection)) {
        problems.push(
          `${setting}: ${pair}: collection "${entry.collection}" must match ${COLLECTION_NAME.source}`,
        );
      } else if (
        entry.collection.startsWith(TENANT_COLLECTION_PREFIX) ||
        entry.collection === GRANTS_COLLECTION
      ) {
        problems.push(
          `${setting}: ${pair}: collection "${entry.collection}" is reserved (per-tenant collections start with ${TENANT_COLLECTION_PREFIX}; ${GRANTS_COLLECTION} holds token grants)`,
        );
      }
      // One collection serves one space of one strategy: its vector size, metric and sharding
      // method are fixed when Qdrant creates it.
      const owner = used.get(entry.collection);
      if (owner !== undefined && owner !== `${setting} ${pair}`) {
        problems.push(
          `${setting}: ${pair}: collection "${entry.collection}" is already used by ${owner}`,
        );
      }
      used.set(entry.collection, `${setting} ${pair}`);
    }
  }
  return problems;
}
