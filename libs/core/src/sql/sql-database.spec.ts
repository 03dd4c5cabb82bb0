import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlDatabase } from './sql-database';

describe('SqlDatabase.open', () => {
  it('names DATA_DIR and the file when SQLite cannot open it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlopen-'));
    // A directory where the file should be: SQLite's own message names neither.
    const file = join(dir, 'vecgate.db');
    mkdirSync(file);
    expect(() => SqlDatabase.open({ sqliteFile: file })).toThrow(
      new RegExp(`^DATA_DIR: cannot open ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(`),
    );
  });
});
