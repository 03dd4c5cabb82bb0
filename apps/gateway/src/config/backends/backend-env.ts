import type { BackendName, IsolationOptions } from '@vecgate/isolation';
import { loadMilvusOptions } from './milvus.env';
import { loadPgvectorOptions } from './pgvector.env';
import { loadPineconeOptions } from './pinecone.env';
import { loadQdrantOptions } from './qdrant.env';

/** The backends switched on by their own variables; the embedded one is always on. */
export type ServerBackend = Exclude<BackendName, 'embedded'>;

/** Options when the backend is on and its keys are good; otherwise every bad key, named. */
export interface BackendEnv<B extends ServerBackend> {
  readonly options?: NonNullable<IsolationOptions[B]>;
  readonly problems: string[];
}

/**
 * The configuration reader of every server backend, keyed by its name: a backend name without
 * a reader here (or without options in IsolationOptions) does not compile. The embedded
 * backend's few settings are plain gateway settings (GatewayEnv).
 */
export const BACKEND_ENV: {
  readonly [B in ServerBackend]: (env: NodeJS.ProcessEnv) => BackendEnv<B>;
} = {
  milvus: loadMilvusOptions,
  qdrant: loadQdrantOptions,
  pinecone: loadPineconeOptions,
  pgvector: loadPgvectorOptions,
};

export type ServerBackendOptions = {
  [B in ServerBackend]?: NonNullable<IsolationOptions[B]>;
};

/** Reads every server backend: the options of those on, and the problems of all. */
export function loadBackendOptions(env: NodeJS.ProcessEnv): {
  options: ServerBackendOptions;
  problems: string[];
} {
  const options: ServerBackendOptions = {};
  const problems: string[] = [];
  const read = <B extends ServerBackend>(name: B): void => {
    const result = BACKEND_ENV[name](env);
    problems.push(...result.problems);
    if (result.options) options[name] = result.options;
  };
  for (const name of Object.keys(BACKEND_ENV) as ServerBackend[]) read(name);
  return { options, problems };
}
