import { EnvReader } from './env-reader';
import { parseSpaceMap } from './space-map';
import {
  MetricName,
  PINECONE_INDEX_NAME as INDEX_NAME,
  pineconeIndexPrefixProblem as indexPrefixProblem,
} from '@vecgate/isolation';
import type {
  PineconeCredentials,
  PineconeDedicatedOptions,
  PineconeIndexSpec,
  PineconeOptions,
  PineconeSharedIndex,
} from '@vecgate/isolation';

/** Every variable the Pinecone backend reads; the docs' configuration table mirrors it. */
export const PINECONE_ENV_KEYS = [
  'PINECONE_API_KEY',
  'PINECONE_CONTROLLER_HOST',
  'PINECONE_SHARED_INDEXES',
  'PINECONE_MAX_NAMESPACES',
  'PINECONE_DEDICATED_SPEC',
  'PINECONE_DEDICATED_INDEX_PREFIX',
  'PINECONE_DEDICATED_KEYS',
  'PINECONE_MAX_DEDICATED_INDEXES',
  'PINECONE_INDEX_READY_TIMEOUT_MS',
  'PINECONE_TENANT_KEYS_DIR',
  'PINECONE_TENANT_KEYS_CACHE_MS',
  'PINECONE_REQUEST_TIMEOUT_MS',
  'PINECONE_MAX_RETRIES',
  'PINECONE_API_VERSION',
  'PINECONE_ERASE_TIMEOUT_MS',
] as const;

type PineconeEnvKey = (typeof PINECONE_ENV_KEYS)[number];

export const PINECONE_DEFAULTS = {
  maxNamespaces: 100_000,
  indexPrefix: 'vg-',
  credentials: 'project' as PineconeCredentials,
  maxDedicatedIndexes: 20,
  indexReadyTimeoutMs: 300_000,
  tenantKeysCacheMs: 60_000,
  requestTimeoutMs: 30_000,
  maxRetries: 3,
  eraseTimeoutMs: 120_000,
  pollIntervalMs: 1_000,
} as const;

const METRIC_ALIASES: Readonly<Record<string, MetricName>> = {
  cosine: 'cosine',
  euclidean: 'euclidean',
  dot: 'dot',
  dotproduct: 'dot',
};

/**
 * Reads the Pinecone backend's configuration. No options when `PINECONE_API_KEY` is unset
 * (the backend is off); every bad key is named in `problems`, and so is a Pinecone setting
 * given without the key (it would be silently ignored otherwise).
 */
export function loadPineconeOptions(env: NodeJS.ProcessEnv): {
  options?: PineconeOptions;
  problems: string[];
} {
  const read = new EnvReader(env, PINECONE_ENV_KEYS);
  const problems = read.problems;
  const value = (key: PineconeEnvKey): string | undefined => read.text(key);
  const apiKey = read.enabledBy('PINECONE_API_KEY', 'the Pinecone backend');
  if (!apiKey) return { problems };

  const controllerHost = value('PINECONE_CONTROLLER_HOST');
  if (controllerHost !== undefined && !hostUrl(controllerHost))
    problems.push('PINECONE_CONTROLLER_HOST: must be an http(s) URL');

  const sharedIndexes = parseSharedIndexes(value('PINECONE_SHARED_INDEXES'), problems);
  const dedicated = parseDedicated(read);
  if (
    value('PINECONE_SHARED_INDEXES') === undefined &&
    value('PINECONE_DEDICATED_SPEC') === undefined
  ) {
    problems.push(
      'PINECONE_SHARED_INDEXES: set it (namespace strategy) or PINECONE_DEDICATED_SPEC ' +
        '(dedicated_index strategy); with neither, no tenant can be placed on Pinecone',
    );
  }

  const apiVersion = value('PINECONE_API_VERSION');
  if (apiVersion !== undefined && !/^\d{4}-\d{2}(\.alpha)?$/.test(apiVersion))
    problems.push('PINECONE_API_VERSION: must look like 2025-01');

  const options: PineconeOptions = {
    apiKey,
    ...(controllerHost ? { controllerHost: hostUrl(controllerHost) ?? controllerHost } : {}),
    sharedIndexes,
    ...(dedicated ? { dedicated } : {}),
    tenantKeys: {
      ...(value('PINECONE_TENANT_KEYS_DIR')
        ? { directory: value('PINECONE_TENANT_KEYS_DIR') }
        : {}),
      cacheTtlMs: read.int('PINECONE_TENANT_KEYS_CACHE_MS', PINECONE_DEFAULTS.tenantKeysCacheMs, 0),
    },
    maxNamespacesPerIndex: read.int('PINECONE_MAX_NAMESPACES', PINECONE_DEFAULTS.maxNamespaces, 1),
    requestTimeoutMs: read.int(
      'PINECONE_REQUEST_TIMEOUT_MS',
      PINECONE_DEFAULTS.requestTimeoutMs,
      100,
    ),
    maxRetries: read.int('PINECONE_MAX_RETRIES', PINECONE_DEFAULTS.maxRetries, 0, 10),
    ...(apiVersion ? { apiVersion } : {}),
    eraseTimeoutMs: read.int('PINECONE_ERASE_TIMEOUT_MS', PINECONE_DEFAULTS.eraseTimeoutMs, 0),
    pollIntervalMs: PINECONE_DEFAULTS.pollIntervalMs,
  };
  return problems.length > 0 ? { problems } : { options, problems };
}

/** `dimension:metric=name@host`, comma-separated; one index per (dimension, metric). */
function parseSharedIndexes(raw: string | undefined, problems: string[]): PineconeSharedIndex[] {
  const key = 'PINECONE_SHARED_INDEXES';
  const out: PineconeSharedIndex[] = [];
  for (const { dimension, metric, value, entry } of parseSpaceMap(key, raw, problems, {
    what: 'index@host',
    aliases: METRIC_ALIASES,
  })) {
    const match = /^([^@\s]+)@(\S+)$/.exec(value);
    const name = match?.[1] ?? '';
    const url = match ? hostUrl(match[2] ?? '') : undefined;
    const wrong: string[] = [];
    if (!INDEX_NAME.test(name)) wrong.push(`index name "${name}" is not a Pinecone index name`);
    if (!url) wrong.push('the host must be an http(s) host (index@host)');
    if (out.some((o) => o.name === name))
      wrong.push(`index ${name} is mapped to two vector spaces`);
    if (wrong.length > 0 || !url) {
      problems.push(`${key}: entry "${entry}": ${wrong.join('; ')}`);
      continue;
    }
    out.push({ dimension, metric, name, host: url });
  }
  return out;
}

function parseDedicated(read: EnvReader<PineconeEnvKey>): PineconeDedicatedOptions | undefined {
  const value = (key: PineconeEnvKey): string | undefined => read.text(key);
  const problems = read.problems;
  const specText = value('PINECONE_DEDICATED_SPEC');
  if (specText === undefined) {
    const keys = [
      'PINECONE_DEDICATED_INDEX_PREFIX',
      'PINECONE_DEDICATED_KEYS',
      'PINECONE_MAX_DEDICATED_INDEXES',
    ] as const;
    read.strays('PINECONE_DEDICATED_SPEC', keys, 'dedicated_index');
    return undefined;
  }
  const spec = parseSpec(specText);
  if (!spec) {
    problems.push(
      'PINECONE_DEDICATED_SPEC: must be serverless:<cloud>:<region> or ' +
        'pod:<environment>:<podType>[:<pods>]',
    );
  }
  const indexPrefix = value('PINECONE_DEDICATED_INDEX_PREFIX') ?? PINECONE_DEFAULTS.indexPrefix;
  const prefixProblem = indexPrefixProblem(indexPrefix);
  if (prefixProblem) problems.push(`PINECONE_DEDICATED_INDEX_PREFIX: ${prefixProblem}`);
  const credentials = value('PINECONE_DEDICATED_KEYS') ?? PINECONE_DEFAULTS.credentials;
  if (credentials !== 'project' && credentials !== 'tenant')
    problems.push('PINECONE_DEDICATED_KEYS: must be project or tenant');
  const maxIndexes = read.int(
    'PINECONE_MAX_DEDICATED_INDEXES',
    PINECONE_DEFAULTS.maxDedicatedIndexes,
    1,
  );
  const readyTimeoutMs = read.int(
    'PINECONE_INDEX_READY_TIMEOUT_MS',
    PINECONE_DEFAULTS.indexReadyTimeoutMs,
    1000,
  );
  if (!spec) return undefined;
  return {
    spec,
    indexPrefix,
    credentials: credentials === 'tenant' ? 'tenant' : 'project',
    maxIndexes,
    readyTimeoutMs,
  };
}

function parseSpec(text: string): PineconeIndexSpec | undefined {
  const serverless = /^serverless:(aws|gcp|azure):([a-z0-9-]+)$/.exec(text);
  if (serverless) return { serverless: { cloud: serverless[1]!, region: serverless[2]! } };
  const pod = /^pod:([a-z0-9-]+):([a-z0-9]+\.x[1-8]):?(\d+)?$/.exec(text);
  if (pod) {
    const pods = pod[3] === undefined ? 1 : Number(pod[3]);
    if (pods < 1) return undefined;
    return { pod: { environment: pod[1]!, podType: pod[2]!, pods } };
  }
  return undefined;
}

/** An http(s) URL without path, query or credentials; a bare host means https. */
function hostUrl(text: string): string | undefined {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  if (url.pathname !== '/' && url.pathname !== '') return undefined;
  return `${url.protocol}//${url.host}`;
}
