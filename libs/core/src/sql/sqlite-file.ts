import Database from 'better-sqlite3';
import { createPrivateFile } from '../fs/private-files';

export const SQLITE_PRAGMAS: readonly string[] = [
  'journal_mode = WAL',
  'synchronous = FULL',
  'secure_delete = ON',
  'busy_timeout = 5000',
  'foreign_keys = ON',
];

export interface SqliteFileOptions {
  /** Refuse to create the file when it does not exist yet. */
  mustExist?: boolean;
  /**
   * Create a new file with `auto_vacuum=INCREMENTAL`, so freed pages can be returned in bounded
   * steps (`PRAGMA incremental_vacuum(N)`) instead of a whole-file `VACUUM`. It only takes
   * effect on a file without tables, and must come before WAL mode is set.
   */
  incrementalVacuum?: boolean;
}

/**
 * Opens a SQLite file with the durability settings every vecgate file uses:
 * WAL (readers never block the writer), `synchronous=FULL` (a commit is on disk before it
 * returns, so an acknowledged write survives a crash or power loss) and `secure_delete`
 * (deleted content is overwritten with zeros, so erased tenants leave no bytes behind).
 */
export function openSqliteFile(path: string, options: SqliteFileOptions = {}): Database.Database {
  // Data files are the owner's only, whatever the umask: SQLite copies the mode to -wal/-shm.
  if (!options.mustExist) createPrivateFile(path);
  const db = new Database(path, { fileMustExist: options.mustExist ?? false });
  if (options.incrementalVacuum) db.pragma('auto_vacuum = INCREMENTAL');
  for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
  return db;
}

/**
 * Copies WAL content into the main file and truncates the WAL to zero bytes. False when it
 * could not complete: a reader on another connection still used frames of the WAL (SQLite
 * reports it busy and leaves the WAL as it is; try again once that reader is done).
 */
export function truncateWal(db: Database.Database): boolean {
  const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
  return result === undefined || result.busy === 0;
}
