/**
 * Limits of the PostgreSQL deployment, as data. PostgreSQL itself has no fixed number of
 * tables or partitions; these bound what a gateway may create, because every table costs
 * catalog entries, a relation file per index and planning time, and a LIST-partitioned table
 * plans more slowly as partitions grow.
 */
export interface PgvectorLimits {
  /** Tables of the collection strategy (one per tenant). */
  readonly tables: number;
  /** Partitions of one shared partitioned table (one per tenant of that vector space). */
  readonly partitionsPerTable: number;
}

export const PGVECTOR_DEFAULT_LIMITS: PgvectorLimits = {
  tables: 10_000,
  partitionsPerTable: 1_000,
};

/** One record's metadata vecgate stores in a JSONB column, in bytes of JSON (answers carry topK of them). */
export const PGVECTOR_METADATA_CAPACITY = 256 * 1024;

/** pgvector's HNSW index takes a `vector` of at most this many dimensions. */
export const PGVECTOR_MAX_INDEXED_DIMENSION = 2000;

export interface PgvectorOptions {
  /** Connection of the data plane: on a real server a login that owns no table. */
  readonly url: string;
  /** Connection that creates and drops tables (the owner); the data-plane one when unset. */
  readonly adminUrl?: string;
  /** Connections of the data-plane pool (1 against PGlite, which is one session). */
  readonly poolSize: number;
  /**
   * A role without BYPASSRLS that every data-plane transaction switches to with
   * `SET LOCAL ROLE`, and that every created table is granted to. For a login that cannot be
   * trusted to be the non-owner (PGlite runs everyone as its superuser).
   */
  readonly dataRole?: string;
  /** Server-side bound of each statement (`statement_timeout`), ms. */
  readonly timeoutMs: number;
  /** `hnsw.ef_search` floor; raised to topK for larger searches. */
  readonly efSearch: number;
  readonly limits: PgvectorLimits;
}

export const PGVECTOR_DEFAULTS = {
  poolSize: 10,
  timeoutMs: 15_000,
  efSearch: 40,
} as const satisfies Partial<PgvectorOptions>;

/** A role name vecgate puts into `SET LOCAL ROLE` and `GRANT`: a plain identifier. */
export const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** What is wrong with the options, each naming the option. */
export function pgvectorOptionProblems(options: PgvectorOptions): string[] {
  const problems: string[] = [];
  for (const [name, url] of [
    ['url', options.url],
    ['adminUrl', options.adminUrl],
  ] as const) {
    if (url !== undefined && !/^postgres(ql)?:\/\/\S+$/.test(url)) {
      problems.push(`${name}: must be a postgres:// URL`);
    }
  }
  if (options.dataRole !== undefined && !ROLE_NAME.test(options.dataRole)) {
    problems.push(`dataRole: "${options.dataRole}" must be a lower-case SQL identifier`);
  }
  return problems;
}
