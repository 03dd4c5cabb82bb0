import { EnvReader } from './env-reader';
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

/**
 * Reads the Qdrant backend's configuration. No options when `QDRANT_URL` is unset (the
 * backend is off); every bad key is named in `problems`, and so is a Qdrant setting given
 * without `QDRANT_URL` (it would be silently ignored otherwise).
 */
export function loadQdrantOptions(env: NodeJS.ProcessEnv): {
  options?: QdrantOptions;
  problems: string[];
} {
  const read = new EnvReader(env, QDRANT_ENV_KEYS);
  const url = read.enabledBy('QDRANT_URL', 'the Qdrant backend');
  if (!url) return { problems: read.problems };
  const spaces = (key: QdrantEnvKey): QdrantSpaceCollection[] =>
    parseSpaceCollections(key, read.text(key), read.problems);
  const apiKey = read.text('QDRANT_API_KEY');
  const publicUrl = read.text('QDRANT_PUBLIC_URL');
  const options: QdrantOptions = {
    url,
    ...(apiKey ? { apiKey } : {}),
    sharedCollections: spaces('QDRANT_SHARED_COLLECTIONS'),
    shardedCollections: spaces('QDRANT_SHARDED_COLLECTIONS'),
    timeoutMs: read.int('QDRANT_TIMEOUT_MS', QDRANT_DEFAULTS.timeoutMs, 100),
    maxCollections: read.int('QDRANT_MAX_COLLECTIONS', QDRANT_DEFAULTS.maxCollections, 1),
    maxShardKeys: read.int('QDRANT_MAX_SHARD_KEYS', QDRANT_DEFAULTS.maxShardKeys, 1),
    tokenMaxTtlSeconds: read.int('QDRANT_TOKEN_MAX_TTL', QDRANT_DEFAULTS.tokenMaxTtlSeconds, 60),
    ...(publicUrl ? { publicUrl } : {}),
  };
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(publicUrl)) {
    read.problem('QDRANT_PUBLIC_URL', `"${publicUrl}" must be an http:// or https:// URL`);
  }
  // The library's own checks (URL, reserved names, a collection used twice...), named by the
  // variables an operator sets.
  read.optionProblems(qdrantOptionProblems(options), ENV_NAME);
  return read.problems.length > 0 ? { problems: read.problems } : { options, problems: [] };
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
