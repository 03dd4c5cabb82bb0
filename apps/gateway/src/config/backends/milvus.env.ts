import { EnvReader } from './env-reader';
import { parseSpaceMap } from './space-map';
import {
  MILVUS_DEFAULT_LIMITS,
  MILVUS_DEFAULTS,
  MILVUS_INDEX_TYPES,
  MilvusIndexType,
  MilvusOptions,
  MilvusTlsOptions,
} from '@vecgate/isolation';

/**
 * The Milvus keys of the environment, with their defaults (docs/backends/milvus.md lists
 * them). Milvus is enabled by `MILVUS_ADDRESS`; another Milvus key without it is a problem.
 */
export const MILVUS_ENV_DEFAULTS = {
  MILVUS_DATABASE: MILVUS_DEFAULTS.database,
  MILVUS_SHARED_COLLECTIONS: '',
  MILVUS_TLS: 'false',
  MILVUS_INDEX_TYPE: MILVUS_DEFAULTS.indexType,
  MILVUS_MAX_DATABASES: String(MILVUS_DEFAULT_LIMITS.databases),
  MILVUS_MAX_COLLECTIONS: String(MILVUS_DEFAULT_LIMITS.collections),
  MILVUS_MAX_PARTITIONS: String(MILVUS_DEFAULT_LIMITS.partitionsPerCollection),
  MILVUS_TIMEOUT_MS: String(MILVUS_DEFAULTS.timeoutMs),
  MILVUS_MAX_RETRIES: String(MILVUS_DEFAULTS.maxRetries),
  MILVUS_LOAD_TIMEOUT_MS: String(MILVUS_DEFAULTS.loadTimeoutMs),
} as const;

/** Every variable the Milvus backend reads; docs/backends/milvus.md's table mirrors it. */
export const MILVUS_ENV_KEYS = [
  'MILVUS_ADDRESS',
  'MILVUS_TOKEN',
  'MILVUS_TLS_CA_CERT',
  'MILVUS_TLS_CLIENT_CERT',
  'MILVUS_TLS_CLIENT_KEY',
  'MILVUS_TLS_SERVER_NAME',
  ...(Object.keys(MILVUS_ENV_DEFAULTS) as (keyof typeof MILVUS_ENV_DEFAULTS)[]),
] as const;

/** `host:port`, `[v6]:port`, optionally `http://` or `https://`. */
const ADDRESS = /^(https?:\/\/)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;
const DATABASE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Room is left for the `_part` suffix within Milvus's 255 characters. */
const COLLECTION = /^[A-Za-z_][A-Za-z0-9_]{0,249}$/;
const RESERVED_PREFIX = 'vg_t_';
const PARTITION_SUFFIX = '_part';

type MilvusEnvKey = (typeof MILVUS_ENV_KEYS)[number];
type DefaultedKey = keyof typeof MILVUS_ENV_DEFAULTS;

/** A defaulted key's value: as set, or its default. */
function textOf(read: EnvReader<MilvusEnvKey>, key: DefaultedKey): string {
  return read.text(key) ?? MILVUS_ENV_DEFAULTS[key];
}

/** A defaulted integer key, its default from the table above. */
function intOf(read: EnvReader<MilvusEnvKey>, key: DefaultedKey, min: number, max: number): number {
  return read.int(key, Number(MILVUS_ENV_DEFAULTS[key]), min, max);
}

function sharedCollections(text: string, problems: string[]): Record<string, string> {
  const key = 'MILVUS_SHARED_COLLECTIONS';
  const map: Record<string, string> = {};
  const owners = new Map<string, string>();
  for (const { dimension, metric, value: name, entry } of parseSpaceMap(key, text, problems, {
    what: 'collection',
  })) {
    const pair = `${dimension}:${metric}`;
    const wrong: string[] = [];
    if (!COLLECTION.test(name)) wrong.push(`collection must match ${COLLECTION.source}`);
    if (name.startsWith(RESERVED_PREFIX))
      wrong.push(`collection cannot start with ${RESERVED_PREFIX}`);
    for (const physical of [name, `${name}${PARTITION_SUFFIX}`]) {
      const owner = owners.get(physical);
      if (owner !== undefined) wrong.push(`collection ${physical} is also used by ${owner}`);
    }
    if (wrong.length > 0) {
      problems.push(`${key}: entry "${entry}": ${wrong.join('; ')}`);
      continue;
    }
    map[pair] = name;
    owners.set(name, pair);
    owners.set(`${name}${PARTITION_SUFFIX}`, pair);
  }
  return map;
}

/**
 * Reads the Milvus backend's configuration. `options` is undefined when `MILVUS_ADDRESS` is
 * unset (Milvus disabled) or when a key is bad; `problems` names each bad key.
 */
export function loadMilvusOptions(env: NodeJS.ProcessEnv): {
  options?: MilvusOptions;
  problems: string[];
} {
  const read = new EnvReader(env, MILVUS_ENV_KEYS);
  const address = read.enabledBy('MILVUS_ADDRESS', 'the Milvus backend');
  if (address === undefined) return { problems: read.problems };
  const problems = read.problems;
  const addressMatch = ADDRESS.exec(address);
  if (!addressMatch || Number(addressMatch[3]) < 1 || Number(addressMatch[3]) > 65535) {
    problems.push('MILVUS_ADDRESS: must be host:port, or http(s)://host:port');
  }
  const token = read.text('MILVUS_TOKEN');
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (token !== undefined && /[\u0000-\u001f\u007f]/.test(token)) {
    problems.push('MILVUS_TOKEN: must not contain control characters');
  }
  const database = textOf(read, 'MILVUS_DATABASE');
  if (!DATABASE.test(database) || database.startsWith(RESERVED_PREFIX)) {
    problems.push(
      `MILVUS_DATABASE: must match ${DATABASE.source} and not start with ${RESERVED_PREFIX}`,
    );
  }
  const indexType = textOf(read, 'MILVUS_INDEX_TYPE').toUpperCase();
  if (!(MILVUS_INDEX_TYPES as readonly string[]).includes(indexType)) {
    problems.push(`MILVUS_INDEX_TYPE: must be one of ${MILVUS_INDEX_TYPES.join(', ')}`);
  }
  const tlsFiles: MilvusTlsOptions = {
    rootCertPath: read.readableFile('MILVUS_TLS_CA_CERT'),
    certChainPath: read.readableFile('MILVUS_TLS_CLIENT_CERT'),
    privateKeyPath: read.readableFile('MILVUS_TLS_CLIENT_KEY'),
    serverName: read.text('MILVUS_TLS_SERVER_NAME'),
  };
  if ((tlsFiles.certChainPath === undefined) !== (tlsFiles.privateKeyPath === undefined)) {
    problems.push('MILVUS_TLS_CLIENT_CERT: set together with MILVUS_TLS_CLIENT_KEY, or neither');
  }
  const tlsWanted = read.bool('MILVUS_TLS', false);
  const https = address.startsWith('https://');
  if (read.text('MILVUS_TLS') !== undefined && !tlsWanted && https) {
    problems.push('MILVUS_TLS: false contradicts an https:// MILVUS_ADDRESS');
  }
  const certificates = [tlsFiles.rootCertPath, tlsFiles.certChainPath, tlsFiles.privateKeyPath];
  const tlsEnabled = tlsWanted || https || certificates.some((path) => path !== undefined);
  if (!tlsEnabled && tlsFiles.serverName !== undefined) {
    problems.push('MILVUS_TLS_SERVER_NAME: needs TLS (MILVUS_TLS=true or an https:// address)');
  }
  const shared = sharedCollections(textOf(read, 'MILVUS_SHARED_COLLECTIONS'), problems);
  const limits = {
    databases: intOf(read, 'MILVUS_MAX_DATABASES', 2, 1_000_000),
    collections: intOf(read, 'MILVUS_MAX_COLLECTIONS', 1, 100_000_000),
    partitionsPerCollection: intOf(read, 'MILVUS_MAX_PARTITIONS', 2, 1_000_000),
  };
  const timeoutMs = intOf(read, 'MILVUS_TIMEOUT_MS', 100, 600_000);
  const maxRetries = intOf(read, 'MILVUS_MAX_RETRIES', 0, 10);
  const loadTimeoutMs = intOf(read, 'MILVUS_LOAD_TIMEOUT_MS', 1_000, 3_600_000);
  if (problems.length > 0) return { problems };
  const tls = Object.fromEntries(
    Object.entries(tlsFiles).filter(([, value]) => value !== undefined),
  ) as MilvusTlsOptions;
  return {
    problems,
    options: {
      address,
      ...(token !== undefined ? { token } : {}),
      ...(tlsEnabled ? { tls: { enabled: true, ...tls } } : {}),
      database,
      sharedCollections: shared,
      indexType: indexType as MilvusIndexType,
      limits,
      timeoutMs,
      maxRetries,
      loadTimeoutMs,
    },
  };
}
