import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteFile, truncateWal } from './sqlite-file';

describe('openSqliteFile', () => {
  let dir: string;
  const opened: Database.Database[] = [];

  function open(name: string, mustExist?: boolean): Database.Database {
    const db = openSqliteFile(join(dir, name), mustExist === undefined ? {} : { mustExist });
    opened.push(db);
    return db;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-sqlite-'));
  });

  afterEach(() => {
    for (const db of opened.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens in WAL mode, persisted in the file for every later connection', () => {
    const db = open('a.db');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.exec('CREATE TABLE t (x)');
    const other = new Database(join(dir, 'a.db'), { readonly: true });
    try {
      expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      other.close();
    }
  });

  it('commits with synchronous=FULL, so an acknowledged write is on disk', () => {
    expect(open('a.db').pragma('synchronous', { simple: true })).toBe(2);
  });

  it('overwrites deleted content (secure_delete on)', () => {
    expect(open('a.db').pragma('secure_delete', { simple: true })).toBe(1);
  });

  it('waits for a busy lock and enforces foreign keys', () => {
    const db = open('a.db');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('refuses to create a missing file when told it must exist', () => {
    expect(() => open('missing.db', true)).toThrow();
    expect(existsSync(join(dir, 'missing.db'))).toBe(false);
    open('present.db').close();
    expect(open('present.db', true).open).toBe(true);
  });

  it('creates a missing file by default', () => {
    open('new.db');
    expect(existsSync(join(dir, 'new.db'))).toBe(true);
  });

  it('leaves no byte of deleted content in the file or its WAL after truncateWal', () => {
    const db = open('a.db');
    const secret = `SECRET${'x'.repeat(200)}`;
    db.exec('CREATE TABLE t (v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 50; i++) insert.run(`${secret}${i}`);
    insert.run('KEEP-ME');
    truncateWal(db);
    expect(readFileSync(join(dir, 'a.db')).includes(secret)).toBe(true);
    db.prepare('DELETE FROM t WHERE v LIKE ?').run('SECRET%');
    truncateWal(db);
    expect(statSync(join(dir, 'a.db-wal')).size).toBe(0);
    const bytes = readFileSync(join(dir, 'a.db'));
    expect(bytes.includes(secret)).toBe(false);
    expect(bytes.includes('KEEP-ME')).toBe(true);
  });

  it('says when a reader on another connection kept the WAL from being truncated', () => {
    const db = open('a.db');
    const secret = `SECRET${'y'.repeat(200)}`;
    db.exec('CREATE TABLE t (v TEXT)');
    db.prepare('INSERT INTO t (v) VALUES (?)').run(secret);
    db.prepare('INSERT INTO t (v) VALUES (?)').run('KEEP-ME');
    expect(truncateWal(db)).toBe(true);
    const reader = open('a.db');
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM t').get();
    db.prepare('DELETE FROM t WHERE v LIKE ?').run('SECRET%');
    expect(truncateWal(db)).toBe(false);
    expect(readFileSync(join(dir, 'a.db')).includes(secret)).toBe(true);
    reader.exec('COMMIT');
    expect(truncateWal(db)).toBe(true);
    expect(statSync(join(dir, 'a.db-wal')).size).toBe(0);
    expect(readFileSync(join(dir, 'a.db')).includes(secret)).toBe(false);
  });
});
