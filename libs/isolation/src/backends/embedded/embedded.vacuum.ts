import type Database from 'better-sqlite3';
import { join } from 'node:path';
import { makePrivateDirectory } from '../../../../core/src/fs/private-files';
import { openSqliteFile, truncateWal } from '../../../../core/src/sql/sqlite-file';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { SHARED_FILE } from './embedded.naming';

/** Pages returned to the file system per step: 256 pages of 4 KiB, about a millisecond. */
const PAGES_PER_STEP = 256;
/** How long an erasure waits for readers on other connections to let the WAL be truncated. */
export const WAL_TRUNCATE_PATIENCE_MS = 10_000;
/** The pause between two attempts: the thread serves other jobs or sleeps meanwhile. */
export const WAL_TRUNCATE_RETRY_MS = 25;
const INCREMENTAL = 2;

/**
 * Readies a data directory at start-up, before anyone is served: the tenants' folder exists,
 * and the shared file exists in incremental auto-vacuum mode (converted once when an earlier
 * version made it without).
 */
export function prepareDataDirectory(directory: string): void {
  makePrivateDirectory(join(directory, 'tenants'));
  const shared = openSqliteFile(join(directory, SHARED_FILE), { incrementalVacuum: true });
  try {
    ensureIncrementalVacuum(shared);
  } finally {
    shared.close();
  }
}

/**
 * Makes a file use `auto_vacuum=INCREMENTAL`. A file created before it existed (NONE) is
 * rewritten once by `VACUUM`; the backend does this at start-up, before it serves anyone.
 * Returns true when the file was converted.
 */
export function ensureIncrementalVacuum(db: Database.Database): boolean {
  if (db.pragma('auto_vacuum', { simple: true }) === INCREMENTAL) return false;
  db.pragma('auto_vacuum = INCREMENTAL');
  db.exec('VACUUM');
  truncateWal(db);
  return true;
}

/**
 * Returns a file's free pages to the file system a few at a time, pausing between steps, then
 * checkpoints and truncates the WAL. secure_delete has already zeroed every freed page, so no
 * byte of deleted records is left in the file or its WAL afterwards. Until the checkpoint
 * completes, the main file still holds the pages as they were and the WAL older frames: while
 * a reader on another connection (another engine thread) keeps it from completing, the job
 * pauses for `WAL_TRUNCATE_RETRY_MS` (its thread serves other tenants or sleeps) and tries again
 * without blocking, for at most `WAL_TRUNCATE_PATIENCE_MS`, and then fails rather than report
 * an erasure that left bytes behind.
 */
export function* releaseFreePages(handle: () => Database.Database, clock: SliceClock): Job<void> {
  let free = freePages(handle());
  while (free > 0 && handle().pragma('auto_vacuum', { simple: true }) === INCREMENTAL) {
    handle().pragma(`incremental_vacuum(${PAGES_PER_STEP})`);
    const left = freePages(handle());
    // Another connection may be freeing pages at the same time; stop if nothing moved.
    if (left >= free) break;
    free = left;
    if (clock.over()) yield;
  }
  const until = performance.now() + WAL_TRUNCATE_PATIENCE_MS;
  while (!truncateWalNow(handle())) {
    if (performance.now() > until) {
      throw new Error(
        `the WAL could not be truncated within ${WAL_TRUNCATE_PATIENCE_MS} ms (readers kept it busy)`,
      );
    }
    yield WAL_TRUNCATE_RETRY_MS;
  }
}

/**
 * One attempt at truncating the WAL that does not wait for readers: SQLite's busy handler
 * would hold this engine thread (and every tenant it serves) for up to `busy_timeout`.
 */
function truncateWalNow(db: Database.Database): boolean {
  const wait = Number(db.pragma('busy_timeout', { simple: true }));
  db.pragma('busy_timeout = 0');
  try {
    return truncateWal(db);
  } finally {
    db.pragma(`busy_timeout = ${wait}`);
  }
}

function freePages(db: Database.Database): number {
  return Number(db.pragma('freelist_count', { simple: true }));
}
