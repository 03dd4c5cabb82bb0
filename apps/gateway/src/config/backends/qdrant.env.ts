import { parseSpaceMap } from './space-map';
import {
  QDRANT_DEFAULTS,
  qdrantOptionProblems,
  QdrantOptions,
  QdrantSpaceCollection,
} from '@vecgate/isolation';

/** Every variable the Qdrant backend reads; docs/backends/qdrant.md's table mirrors it. */
export const QDRANT_ENV_KEYS = [
  'QDRANT_URL',
  'QDRANT_API_KEY',
  'QDRANT_SHARED_COLLECTIONS',
  'QDRANT_SHARDED_COLLECTIONS',
  'QDRANT_TIMEOUT_MS',
  'QDRANT_MAX_COLLECTIONS',
  'QDRANT_MAX_SHARD_KEYS',
  'QDRANT_TOKEN_MAX_TTL',
  'QDRANT_PUBLIC_URL',
] as const;

type QdrantEnvKey = (typeof QDRANT_ENV_KEYS)[number];

/** The variable behind each option name in the library's problem texts. */
const ENV_NAME: Readonly<Record<string, QdrantEnvKey>> = {
  url: 'QDRANT_URL',
  apiKey: 'QDRANT_API_KEY',
  sharedCollections: 'QDRANT_SHARED_COLLECTIONS',
  shardedCollections: 'QDRANT_SHARDED_COLLECTIONS',
  timeoutMs: 'QDRANT_TIMEOUT_MS',
  maxCollections: 'QDRANT_MAX_COLLECTIONS',
  maxShardKeys: 'QDRANT_MAX_SHARD_KEYS',
  tokenMaxTtlSeconds: 'QDRANT_TOKEN_MAX_TTL',
};
const OPTION_NAMES = new RegExp(`\\b(${Object.keys(ENV_NAME).join('|')})\\b`, 'g');

/** Settings of the shape `1536:cosine=vg_shared_1536_cosine,768:dot=vg_shared_768_dot`. */

/**
 * Reads the Qdrant backend's configuration. No options when `QDRANT_URL` is unset (the
 * backend is off); every bad key is named in `problems`, and so is a Qdrant setting given
 * without `QDRANT_URL` (it would be silently ignored otherwise).
 */
export function loadQdrantOptions(env: NodeJS.ProcessEnv): {
  options?: QdrantOptions;
  problems: string[];
} {
  const problems: string[] = [];
  const value = (key: QdrantEnvKey): string | undefined => {
    const raw = env[key]?.trim();
    return raw ? raw : undefined;
  };
  const url = value('QDRANT_URL');
  if (!url) {
    for (const key of QDRANT_ENV_KEYS) {
      if (key !== 'QDRANT_URL' && value(key) !== undefined)
        problems.push(`${key}: set, but QDRANT_URL is not (the Qdrant backend is off)`);
    }
    return { problems };
  }
  const int = (key: QdrantEnvKey, fallback: number, min: number): number => {
    const raw = value(key);
    if (raw === undefined) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      problems.push(`${key}: must be an integer of at least ${min}, not "${raw}"`);
      return fallback;
    }
    return n;
  };
  const spaces = (key: QdrantEnvKey): QdrantSpaceCollection[] =>
    parseSpaceCollections(key, value(key), problems);

  const options: QdrantOptions = {
    url,
    ...(value('QDRANT_API_KEY') ? { apiKey: value('QDRANT_API_KEY') } : {}),
    sharedCollections: spaces('QDRANT_SHARED_COLLECTIONS'),
    shardedCollections: spaces('QDRANT_SHARDED_COLLECTIONS'),
    timeoutMs: int('QDRANT_TIMEOUT_MS', QDRANT_DEFAULTS.timeoutMs, 100),
    maxCollections: int('QDRANT_MAX_COLLECTIONS', QDRANT_DEFAULTS.maxCollections, 1),
    maxShardKeys: int('QDRANT_MAX_SHARD_KEYS', QDRANT_DEFAULTS.maxShardKeys, 1),
    tokenMaxTtlSeconds: int('QDRANT_TOKEN_MAX_TTL', QDRANT_DEFAULTS.tokenMaxTtlSeconds, 60),
    ...(value('QDRANT_PUBLIC_URL') ? { publicUrl: value('QDRANT_PUBLIC_URL') } : {}),
  };
  const publicUrl = options.publicUrl;
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(publicUrl)) {
    problems.push(`QDRANT_PUBLIC_URL: "${publicUrl}" must be an http:// or https:// URL`);
  }
  // The library's own checks (URL, reserved names, a collection used twice...), named by the
  // variables an operator sets.
  for (const problem of qdrantOptionProblems(options)) {
    problems.push(problem.replace(OPTION_NAMES, (name) => ENV_NAME[name] ?? name));
  }
  return problems.length > 0 ? { problems } : { options, problems };
}

function parseSpaceCollections(
  key: QdrantEnvKey,
  text: string | undefined,
  problems: string[],
): QdrantSpaceCollection[] {
  return parseSpaceMap(key, text, problems, { what: 'collection' }).map((e) => ({
    dimension: e.dimension,
    metric: e.metric,
    collection: e.value,
  }));
}
