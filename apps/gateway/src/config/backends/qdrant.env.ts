import { EnvReader } from './env-reader';
import { parseSpaceMap } from './space-map';
import {
  QDRANT_ENV,
  QDRANT_INTEGERS,
  qdrantOptionProblems,
  QdrantEnvKey,
  QdrantOptions,
  QdrantSpaceCollection,
} from '@vecgate/isolation';

/** Every variable the Qdrant backend reads; docs/backends/qdrant.md's table mirrors it. */
export const QDRANT_ENV_KEYS: readonly QdrantEnvKey[] = Object.values(QDRANT_ENV);

/**
 * Reads the Qdrant backend's configuration. No options when `QDRANT_URL` is unset (the
 * backend is off); every bad key is named in `problems`, and so is a Qdrant setting given
 * without `QDRANT_URL` (it would be silently ignored otherwise). The reader parses each key
 * (whole numbers within the bounds `QDRANT_INTEGERS` gives, `dimension:metric=collection`
 * lists); the Qdrant rules on what was parsed (URLs, collection names) are the library's,
 * already in this format.
 */
export function loadQdrantOptions(env: NodeJS.ProcessEnv): {
  options?: QdrantOptions;
  problems: string[];
} {
  const read = new EnvReader(env, QDRANT_ENV_KEYS);
  const url = read.enabledBy(QDRANT_ENV.url, 'the Qdrant backend');
  if (!url) return { problems: read.problems };
  const spaces = (option: 'sharedCollections' | 'shardedCollections'): QdrantSpaceCollection[] =>
    parseSpaceMap(QDRANT_ENV[option], read.text(QDRANT_ENV[option]), read.problems, {
      what: 'collection',
    }).map((e) => ({ dimension: e.dimension, metric: e.metric, collection: e.value }));
  const int = (option: keyof typeof QDRANT_INTEGERS): number =>
    read.int(QDRANT_ENV[option], QDRANT_INTEGERS[option].fallback, QDRANT_INTEGERS[option].min);
  const apiKey = read.text(QDRANT_ENV.apiKey);
  const publicUrl = read.text(QDRANT_ENV.publicUrl);
  const options: QdrantOptions = {
    url,
    ...(apiKey ? { apiKey } : {}),
    sharedCollections: spaces('sharedCollections'),
    shardedCollections: spaces('shardedCollections'),
    timeoutMs: int('timeoutMs'),
    maxCollections: int('maxCollections'),
    maxShardKeys: int('maxShardKeys'),
    tokenMaxTtlSeconds: int('tokenMaxTtlSeconds'),
    ...(publicUrl ? { publicUrl } : {}),
  };
  read.problems.push(...qdrantOptionProblems(options));
  return read.problems.length > 0 ? { problems: read.problems } : { options, problems: [] };
}
