import {
  PGVECTOR_DEFAULT_LIMITS,
  PGVECTOR_DEFAULTS,
  pgvectorOptionProblems,
  PgvectorOptions,
} from '@vecgate/isolation';
import { EnvReader } from './env-reader';

/** Every variable the pgvector backend reads; docs/backends/pgvector.md's table mirrors it. */
export const PGVECTOR_ENV_KEYS = [
  'PGVECTOR_URL',
  'PGVECTOR_ADMIN_URL',
  'PGVECTOR_DATA_ROLE',
  'PGVECTOR_POOL_SIZE',
  'PGVECTOR_TIMEOUT_MS',
  'PGVECTOR_EF_SEARCH',
  'PGVECTOR_MAX_TABLES',
  'PGVECTOR_MAX_PARTITIONS',
] as const;

type PgvectorEnvKey = (typeof PGVECTOR_ENV_KEYS)[number];

/** The variable behind each option name in the library's problem texts. */
const ENV_NAME: Readonly<Record<string, PgvectorEnvKey>> = {
  url: 'PGVECTOR_URL',
  adminUrl: 'PGVECTOR_ADMIN_URL',
  dataRole: 'PGVECTOR_DATA_ROLE',
};

/**
 * Reads the pgvector backend's configuration. No options when `PGVECTOR_URL` is unset (the
 * backend is off); every bad key is named in `problems`, and so is a pgvector setting given
 * without `PGVECTOR_URL` (it would be silently ignored otherwise). Shared tables are created
 * on demand, so `PGVECTOR_URL` alone is enough to start.
 */
export function loadPgvectorOptions(env: NodeJS.ProcessEnv): {
  options?: PgvectorOptions;
  problems: string[];
} {
  const read = new EnvReader(env, PGVECTOR_ENV_KEYS);
  const url = read.enabledBy('PGVECTOR_URL', 'the pgvector backend');
  if (!url) return { problems: read.problems };
  const adminUrl = read.text('PGVECTOR_ADMIN_URL');
  const dataRole = read.text('PGVECTOR_DATA_ROLE');
  const options: PgvectorOptions = {
    url,
    ...(adminUrl ? { adminUrl } : {}),
    ...(dataRole ? { dataRole } : {}),
    poolSize: read.int('PGVECTOR_POOL_SIZE', PGVECTOR_DEFAULTS.poolSize, 1, 1000),
    timeoutMs: read.int('PGVECTOR_TIMEOUT_MS', PGVECTOR_DEFAULTS.timeoutMs, 100, 3_600_000),
    efSearch: read.int('PGVECTOR_EF_SEARCH', PGVECTOR_DEFAULTS.efSearch, 1, 1000),
    limits: {
      tables: read.int('PGVECTOR_MAX_TABLES', PGVECTOR_DEFAULT_LIMITS.tables, 1, 1_000_000),
      partitionsPerTable: read.int(
        'PGVECTOR_MAX_PARTITIONS',
        PGVECTOR_DEFAULT_LIMITS.partitionsPerTable,
        1,
        100_000,
      ),
    },
  };
  // The library's own checks (URLs, the role name), named by the variables an operator sets.
  read.optionProblems(pgvectorOptionProblems(options), ENV_NAME);
  return read.problems.length > 0 ? { problems: read.problems } : { options, problems: [] };
}
