export interface EmbeddedOptions {
  /** Directory for the embedded backend's files (`<DATA_DIR>/embedded`). */
  readonly directory: string;
  /** Memory budget for in-memory tenant matrices, in MiB. */
  readonly cacheMb: number;
  /** Maximum per-tenant SQLite files open at once. */
  readonly maxOpenFiles: number;
}
