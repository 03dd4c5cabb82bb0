import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteFile } from '../sql/sqlite-file';
import {
  createPrivateFile,
  describeExposed,
  exposedEntries,
  makePrivateDirectory,
} from './private-files';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('private data files', () => {
  let root: string;
  let umask: number;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'vecgate-modes-'));
    // The most permissive umask: modes must not depend on it.
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it('creates directories 0700, every missing level, whatever the umask', () => {
    const deep = join(root, 'data', 'embedded', 'tenants');
    makePrivateDirectory(deep);
    for (const dir of [join(root, 'data'), join(root, 'data', 'embedded'), deep])
      expect(modeOf(dir)).toBe(0o700);
  });

  it('refuses a path through a file with its error, creating nothing', () => {
    writeFileSync(join(root, 'file'), '');
    expect(() => makePrivateDirectory(join(root, 'file', 'data', 'x'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    );
  });

  (process.platform === 'linux' ? it : it.skip)(
    'returns ENOENT on a path /proc cannot hold, where a recursive mkdir spins for ever',
    () => {
      // In a child with a deadline: the failure this guards against never returns.
      const child = spawnSync(
        join(__dirname, '../../../../node_modules/.bin/tsx'),
        [
          '-e',
          `import { makePrivateDirectory } from ${JSON.stringify(join(__dirname, 'private-files'))};
           try { makePrivateDirectory('/proc/vecgate-absent/data'); } catch (e) { console.log(e.code); }`,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(child.signal).toBeNull();
      expect(child.stdout.trim()).toBe('ENOENT');
    },
  );

  it('leaves the mode of a directory that already exists to the start-up check', () => {
    const existing = join(root, 'existing');
    mkdirSync(existing, { mode: 0o755 });
    makePrivateDirectory(existing);
    expect(modeOf(existing)).toBe(0o755);
  });

  it('creates SQLite files and their -wal and -shm files 0600', () => {
    const file = join(root, 'data', 'tenants', 't.db');
    const db = openSqliteFile(file);
    db.exec('create table t (x integer); insert into t values (1);');
    for (const path of [file, `${file}-wal`, `${file}-shm`]) {
      expect(existsSync(path)).toBe(true);
      expect(modeOf(path).toString(8)).toBe('600');
    }
    expect(modeOf(join(root, 'data', 'tenants'))).toBe(0o700);
    db.close();
  });

  it('does not create a file that must exist', () => {
    const file = join(root, 'missing.db');
    expect(() => openSqliteFile(file, { mustExist: true })).toThrow();
    expect(existsSync(file)).toBe(false);
  });

  it('keeps an existing file as it is', () => {
    const file = join(root, 'kept');
    writeFileSync(file, 'content', { mode: 0o640 });
    createPrivateFile(file);
    expect(modeOf(file)).toBe(0o640);
  });

  it('reports every entry others may read, write or enter, and nothing private', () => {
    const data = join(root, 'data');
    makePrivateDirectory(join(data, 'embedded', 'tenants'));
    createPrivateFile(join(data, 'vecgate.db'));
    expect(exposedEntries(data)).toEqual([]);

    writeFileSync(join(data, 'embedded', 'tenants', 'old.db'), '', { mode: 0o644 });
    chmodSync(join(data, 'embedded'), 0o755);
    writeFileSync(join(data, 'group.db'), '', { mode: 0o660 });
    symlinkSync('/etc/hostname', join(data, 'link'));
    const exposed = exposedEntries(data).map((e) => describeExposed(data, e));
    expect(exposed.sort()).toEqual(
      [
        `${join(data, 'embedded')} is 0755`,
        `${join(data, 'embedded', 'tenants', 'old.db')} is 0644`,
        `${join(data, 'group.db')} is 0660`,
      ].sort(),
    );
    expect(exposedEntries(join(root, 'nowhere'))).toEqual([]);
  });
});
