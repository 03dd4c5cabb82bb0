import type Database from 'better-sqlite3';
import { join } from 'node:path';
import { makePrivateDirectory } from '../../../../core/src/fs/private-files';
import { openSqliteFile, truncateWal } from '../../../../core/src/sql/sqlite-file';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { SHARED_FILE } from './embedded.naming';

/** Pages returned to the file system per step: 256 pages of 4 KiB, about a millisecond. */
const PAGES_PER_STEP = 256;
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
 * byte of deleted records is left in the file or its WAL afterwards.
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
  truncateWal(handle());
}

function freePages(db: Database.Database): number {
  return Number(db.pragma('freelist_count', { simple: true }));
}
