import { MetricName } from '../../ports/vector.types';

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

/**
 * The environment variable that sets each option: what an operator writes, so every problem
 * names it (`QDRANT_URL: must be ...`), in the configuration reader's one format.
 */
export const QDRANT_ENV = {
  url: 'QDRANT_URL',
  apiKey: 'QDRANT_API_KEY',
  sharedCollections: 'QDRANT_SHARED_COLLECTIONS',
  shardedCollections: 'QDRANT_SHARDED_COLLECTIONS',
  timeoutMs: 'QDRANT_TIMEOUT_MS',
  maxCollections: 'QDRANT_MAX_COLLECTIONS',
  maxShardKeys: 'QDRANT_MAX_SHARD_KEYS',
  tokenMaxTtlSeconds: 'QDRANT_TOKEN_MAX_TTL',
  publicUrl: 'QDRANT_PUBLIC_URL',
} as const satisfies { readonly [K in keyof QdrantOptions]-?: string };

export type QdrantEnvKey = (typeof QDRANT_ENV)[keyof QdrantOptions];

/**
 * The whole-number options: their default and smallest value. The configuration reader checks
 * them as it parses them (`EnvReader.int`), so they are not checked again below.
 */
export const QDRANT_INTEGERS = {
  timeoutMs: { fallback: 30_000, min: 100 },
  maxCollections: { fallback: 1000, min: 1 },
  maxShardKeys: { fallback: 1024, min: 1 },
  tokenMaxTtlSeconds: { fallback: 3600, min: 60 },
} as const satisfies { readonly [K in keyof QdrantOptions]?: { fallback: number; min: number } };

export const QDRANT_DEFAULTS = {
  timeoutMs: QDRANT_INTEGERS.timeoutMs.fallback,
  maxCollections: QDRANT_INTEGERS.maxCollections.fallback,
  maxShardKeys: QDRANT_INTEGERS.maxShardKeys.fallback,
  tokenMaxTtlSeconds: QDRANT_INTEGERS.tokenMaxTtlSeconds.fallback,
} as const;

/** Names vecgate gives or accepts for Qdrant collections (Qdrant itself allows more). */
export const COLLECTION_NAME = /^[A-Za-z0-9_-]{1,255}$/;
/** Prefix of per-tenant collections; configured shared collections may not use it. */
export const TENANT_COLLECTION_PREFIX = 'vg_t_';
/** The collection of token grants that minted tokens' `value_exists` condition looks up. */
export const GRANTS_COLLECTION = 'vg_token_grants';

/**
 * The Qdrant rules of the options the configuration reader has parsed (which already checked
 * the whole numbers and each `dimension:metric=` entry's form, space and uniqueness): the URLs
 * and the collection names. Each problem is `<VARIABLE>: <what is wrong>`; none when valid.
 * Checked once, at start-up.
 */
export function qdrantOptionProblems(options: QdrantOptions): string[] {
  const problems: string[] = [];
  for (const option of ['url', 'publicUrl'] as const) {
    const url = options[option];
    if (url !== undefined && !httpUrl(url)) {
      problems.push(`${QDRANT_ENV[option]}: must be an http:// or https:// URL, not "${url}"`);
    }
  }
  const owners = new Map<string, string>();
  for (const option of ['sharedCollections', 'shardedCollections'] as const) {
    for (const { dimension, metric, collection } of options[option]) {
      const owner = `${QDRANT_ENV[option]} ${dimension}:${metric}`;
      const wrong = collectionProblem(collection, owners.get(collection));
      if (wrong) {
        problems.push(
          `${QDRANT_ENV[option]}: entry "${dimension}:${metric}=${collection}": ${wrong}`,
        );
      }
      // One collection serves one space of one strategy: its vector size, metric and sharding
      // method are fixed when Qdrant creates it.
      if (!owners.has(collection)) owners.set(collection, owner);
    }
  }
  return problems;
}

function httpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

function collectionProblem(collection: string, owner: string | undefined): string | undefined {
  if (!COLLECTION_NAME.test(collection)) {
    return `collection must match ${COLLECTION_NAME.source}`;
  }
  if (collection.startsWith(TENANT_COLLECTION_PREFIX) || collection === GRANTS_COLLECTION) {
    return `collection ${collection} is reserved (per-tenant collections start with ${TENANT_COLLECTION_PREFIX}; ${GRANTS_COLLECTION} holds token grants)`;
  }
  if (owner !== undefined) return `collection ${collection} is also used by ${owner}`;
  return undefined;
}
