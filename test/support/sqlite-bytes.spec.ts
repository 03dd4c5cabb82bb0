import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveBytesHold } from './sqlite-bytes';

describe('liveBytesHold', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vg-bytes-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a live row in the WAL and the file, and nothing once it is deleted and checkpointed', () => {
    const path = join(dir, 'db.sqlite');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('secure_delete = ON');
    db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO t VALUES (?, ?)');
    for (let i = 0; i < 200; i++) insert.run(`other-${i}`, 'x'.repeat(50));
    insert.run('LIVEMARK-1', 'y');
    expect(liveBytesHold(path, 'LIVEMARK')).toBe(true);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(liveBytesHold(path, 'LIVEMARK')).toBe(true);
    db.prepare('DELETE FROM t WHERE id = ?').run('LIVEMARK-1');
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(liveBytesHold(path, 'LIVEMARK')).toBe(false);
    expect(liveBytesHold(path, 'other-7')).toBe(true);
    db.close();
  });
});
