import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDirectory } from '../../../../core/src/fs/fsync';
import type { ErasureReport } from '../../ports/backend-admin';
import type { EngineFiles } from './embedded.engine-files';
import type { EngineTarget } from './embedded.engine-protocol';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { eraseTenantRows } from './embedded.record-jobs';
import { recordTableDdl } from './embedded.schema';
import { releaseFreePages } from './embedded.vacuum';

/**
 * Creates the tenant's table, or brings an existing one to the current layout (`tableOf`
 * upgrades a table written before namespaces).
 */
/* eslint-disable-next-line require-yield -- creating a table is one bounded step */
export function* provisionJob(files: EngineFiles, target: EngineTarget): Job<null> {
  const db = files.pool.acquire(target.file, true);
  db.exec(recordTableDdl(target.table));
  files.tableOf(db, target.table);
  return null;
}

/**
 * Removes the tenant's records of every namespace, and verifies: the file or table is gone, or
 * no row of the tenant's uid is left in the shared table, whatever its namespace.
 */
export function* eraseJob(
  files: EngineFiles,
  target: EngineTarget,
  clock: SliceClock,
): Job<ErasureReport> {
  files.cache.deletePlace(target);
  // The saved graphs of every namespace in this place, with the tenant's records there.
  const graphs = files.ann.files.erasePlace(target);
  const report = yield* eraseRecords(files, target, clock);
  const place = { place: `ann/${target.tenantUid}`, remaining: graphs };
  return { places: [...report.places, place] };
}

function* eraseRecords(
  files: EngineFiles,
  target: EngineTarget,
  clock: SliceClock,
): Job<ErasureReport> {
  const { file, table } = target;
  switch (target.strategy) {
    case 'database': {
      files.pool.close(file);
      const path = files.pool.absolute(file);
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
      fsyncDirectory(dirname(path));
      return { places: [{ place: file, remaining: existsSync(path) ? 1 : 0 }] };
    }
    case 'collection': {
      // Emptying the table first, a chunk per transaction, keeps the final DROP small.
      if (files.tableOf(files.pool.acquire(file), table))
        yield* eraseTenantRows(files, target, clock);
      const db = files.pool.acquire(file);
      files.forgetTables(db);
      db.exec(`DROP TABLE IF EXISTS "${table}"`);
      yield* compact(files, file, clock);
      const left = files.pool
        .acquire(file)
        .prepare(`SELECT count(*) FROM sqlite_master WHERE name = ?`)
        .pluck()
        .get(table);
      return { places: [{ place: `${file}:${table}`, remaining: Number(left) }] };
    }
    case 'partition_key': {
      if (!files.tableOf(files.pool.acquire(file), table))
        return { places: [{ place: `${file}:${table}`, remaining: 0 }] };
      yield* eraseTenantRows(files, target, clock);
      yield* compact(files, file, clock);
      const remaining = files.records(target).countTenant(target.tenantUid);
      return { places: [{ place: `${file}:${table}`, remaining }] };
    }
  }
}

/**
 * Leaves no page of an erased tenant in a shared file or its WAL, in bounded steps: the file
 * never gets rewritten whole while tenants are being served.
 */
function compact(files: EngineFiles, file: string, clock: SliceClock): Job<void> {
  return releaseFreePages(() => files.pool.acquire(file), clock);
}
