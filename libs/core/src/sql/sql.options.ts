export type SqlDialectName = 'sqlite' | 'postgres';

export interface SqlOptions {
  /** `postgres://...` selects PostgreSQL; unset selects SQLite at `sqliteFile`. */
  databaseUrl?: string;
  sqliteFile: string;
}
