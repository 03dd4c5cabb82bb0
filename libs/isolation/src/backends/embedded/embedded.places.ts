import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDirectory } from '../../../../core/src/fs/fsync';
import type { ErasureReport } from '../../ports/backend-admin';
import type { EngineFiles } from './embedded.engine-files';
import type { EngineTarget } from './embedded.engine-protocol';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { deleteEverything } from './embedded.records';
import { releaseFreePages } from './embedded.vacuum';
import { RecordTable } from './embedded.record-table';

/* eslint-disable-next-line require-yield -- creating a table is one bounded step */
export function* provisionJob(files: EngineFiles, target: EngineTarget): Job<null> {
  const db = files.pool.acquire(target.file, true);
  db.exec(RecordTable.schema(target.table));
  return null;
}

export function* eraseJob(
  files: EngineFiles,
  target: EngineTarget,
  clock: SliceClock,
): Job<ErasureReport> {
  const { file, table } = target;
  files.cache.delete(target.tenantUid);
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
        yield* deleteEverything(files, target, clock);
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
      yield* deleteEverything(files, target, clock);
      yield* compact(files, file, clock);
      const remaining = files.records(target).count(target.tenantUid);
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
