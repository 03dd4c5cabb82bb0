import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_PRAGMAS } from '@vecgate/core';
import { SqliteHandlePool } from './embedded.handle-pool';

// The module object itself (not an import copy), so spies see the calls the pool makes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof import('node:fs');

describe('SqliteHandlePool durability', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'vg-pool-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(root, { recursive: true, force: true });
  });

  it("fsyncs the directory after creating a tenant's file, so a power loss cannot forget the file", () => {
    const opened = jest.spyOn(fs, 'openSync');
    const synced = jest.spyOn(fs, 'fsyncSync');
    const pool = new SqliteHandlePool(root, 4, new Set());
    pool.acquire('tenants/0123456789abcdef0123456789abcdef.db', true);
    const dirOpen = opened.mock.calls.findIndex(
      ([path, flags]) => path === join(root, 'tenants') && flags === 'r',
    );
    expect(dirOpen).toBeGreaterThanOrEqual(0);
    const fd = opened.mock.results[dirOpen]?.value as number;
    expect(synced).toHaveBeenCalledWith(fd);
    pool.closeAll();
  });

  it('does not create a missing file when asked for an existing one (an erased tenant stays erased)', () => {
    const pool = new SqliteHandlePool(root, 4, new Set());
    expect(() => pool.acquire('tenants/ffffffffffffffffffffffffffffffff.db')).toThrow();
    expect(fs.existsSync(join(root, 'tenants/ffffffffffffffffffffffffffffffff.db'))).toBe(false);
  });

  it('opens every file with WAL, synchronous=FULL and secure_delete', () => {
    expect(SQLITE_PRAGMAS).toEqual(
      expect.arrayContaining(['journal_mode = WAL', 'synchronous = FULL', 'secure_delete = ON']),
    );
    const pool = new SqliteHandlePool(root, 4, new Set());
    const db = pool.acquire('tenants/00000000000000000000000000000000.db', true);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    pool.closeAll();
  });
});
