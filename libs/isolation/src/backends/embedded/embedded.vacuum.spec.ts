import type Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteFile } from '../../../../core/src/sql/sqlite-file';
import { releaseFreePages, WAL_TRUNCATE_RETRY_MS } from './embedded.vacuum';

describe('releaseFreePages', () => {
  let dir: string;
  const opened: Database.Database[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-vacuum-'));
  });

  afterEach(() => {
    for (const db of opened.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function open(): Database.Database {
    const db = openSqliteFile(join(dir, 'shared.db'), { incrementalVacuum: true });
    opened.push(db);
    return db;
  }

  it('pauses between attempts until a reader on another connection lets the WAL be truncated', () => {
    const db = open();
    const secret = `ERASED${'z'.repeat(300)}`;
    db.exec('CREATE TABLE t (v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run(`${secret}${i}`);
    insert.run('KEEP-ME');
    const reader = open();
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM t').get();
    db.prepare('DELETE FROM t WHERE v LIKE ?').run('ERASED%');

    const job = releaseFreePages(() => db, { over: () => false });
    // Each blocked attempt asks the scheduler for a pause rather than the next turn.
    expect(job.next()).toEqual({ done: false, value: WAL_TRUNCATE_RETRY_MS });
    expect(job.next()).toEqual({ done: false, value: WAL_TRUNCATE_RETRY_MS });
    reader.exec('COMMIT');
    expect(job.next().done).toBe(true);

    expect(statSync(join(dir, 'shared.db-wal')).size).toBe(0);
    const bytes = readFileSync(join(dir, 'shared.db'));
    expect(bytes.includes('ERASED')).toBe(false);
    expect(bytes.includes('KEEP-ME')).toBe(true);
  });
});
