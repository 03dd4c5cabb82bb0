import {
  PGVECTOR_DEFAULT_LIMITS,
  PGVECTOR_DEFAULTS,
  pgvectorOptionProblems,
  PgvectorOptions,
} from '@vecgate/isolation';

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
const OPTION_NAMES = new RegExp(`\\b(${Object.keys(ENV_NAME).join('|')})\\b`, 'g');

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
  const problems: string[] = [];
  const value = (key: PgvectorEnvKey): string | undefined => {
    const raw = env[key]?.trim();
    return raw ? raw : undefined;
  };
  const url = value('PGVECTOR_URL');
  if (!url) {
    for (const key of PGVECTOR_ENV_KEYS) {
      if (key !== 'PGVECTOR_URL' && value(key) !== undefined)
        problems.push(`${key}: set, but PGVECTOR_URL is not (the pgvector backend is off)`);
    }
    return { problems };
  }
  const int = (key: PgvectorEnvKey, fallback: number, min: number, max: number): number => {
    const raw = value(key);
    if (raw === undefined) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${key}: must be an integer from ${min} to ${max}, not "${raw}"`);
      return fallback;
    }
    return n;
  };
  const adminUrl = value('PGVECTOR_ADMIN_URL');
  const dataRole = value('PGVECTOR_DATA_ROLE');
  const options: PgvectorOptions = {
    url,
    ...(adminUrl ? { adminUrl } : {}),
    ...(dataRole ? { dataRole } : {}),
    poolSize: int('PGVECTOR_POOL_SIZE', PGVECTOR_DEFAULTS.poolSize, 1, 1000),
    timeoutMs: int('PGVECTOR_TIMEOUT_MS', PGVECTOR_DEFAULTS.timeoutMs, 100, 3_600_000),
    efSearch: int('PGVECTOR_EF_SEARCH', PGVECTOR_DEFAULTS.efSearch, 1, 1000),
    limits: {
      tables: int('PGVECTOR_MAX_TABLES', PGVECTOR_DEFAULT_LIMITS.tables, 1, 1_000_000),
      partitionsPerTable: int(
        'PGVECTOR_MAX_PARTITIONS',
        PGVECTOR_DEFAULT_LIMITS.partitionsPerTable,
        1,
        100_000,
      ),
    },
  };
  // The library's own checks (URLs, the role name), named by the variables an operator sets.
  for (const problem of pgvectorOptionProblems(options)) {
    problems.push(problem.replace(OPTION_NAMES, (name) => ENV_NAME[name] ?? name));
  }
  return problems.length > 0 ? { problems } : { options, problems };
}
