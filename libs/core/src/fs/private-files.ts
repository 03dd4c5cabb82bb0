import {
  closeSync,
  existsSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  chmodSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** Permission bits that let anyone but the owner in. */
const SHARED_BITS = 0o077;
/** How deep the start-up check looks: DATA_DIR/embedded/tenants/<file> is three levels. */
const CHECK_DEPTH = 4;

/**
 * Makes a directory, and any missing parent, readable by the owner only. The mode is set
 * after creation, so the process umask cannot widen it; directories that already exist keep
 * their mode (the start-up check reports them). Each missing level is made on its own rather
 * than with `mkdirSync`'s `recursive`, which never returns on a path under a pseudo file
 * system that refuses new entries (`/proc/x` spins at full CPU on Linux): here that is ENOENT.
 */
export function makePrivateDirectory(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at); at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const at of missing.reverse()) {
    try {
      mkdirSync(at, { mode: PRIVATE_DIRECTORY_MODE });
    } catch (err) {
      // Made meanwhile by another process: it keeps its mode, as any existing directory.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    chmodSync(at, PRIVATE_DIRECTORY_MODE);
  }
}

/**
 * Creates an empty file readable by the owner only, when it does not exist yet, before a
 * library (SQLite) opens it: SQLite then gives its -wal and -shm files the same mode.
 */
export function createPrivateFile(path: string): void {
  if (existsSync(path)) return;
  makePrivateDirectory(dirname(path));
  const fd = openSync(path, 'a', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

export interface ExposedEntry {
  readonly path: string;
  readonly mode: number;
}

/**
 * Entries of a data directory (itself included) that others than the owner may read, write
 * or traverse. Symbolic links are reported by their own mode and not followed.
 */
export function exposedEntries(root: string): ExposedEntry[] {
  const exposed: ExposedEntry[] = [];
  const visit = (path: string, depth: number): void => {
    const stat = lstatSync(path);
    const mode = stat.mode & 0o777;
    if (!stat.isSymbolicLink() && (mode & SHARED_BITS) !== 0) exposed.push({ path, mode });
    if (!stat.isDirectory() || depth >= CHECK_DEPTH) return;
    for (const name of readdirSync(path)) visit(join(path, name), depth + 1);
  };
  if (existsSync(root)) visit(root, 0);
  return exposed;
}

/** `DATA_DIR/embedded/x.db is 0644`, for a warning or a refusal. */
export function describeExposed(root: string, entry: ExposedEntry): string {
  const name = relative(root, entry.path);
  return `${name === '' ? root : `${root}${sep}${name}`} is ${entry.mode.toString(8).padStart(4, '0')}`;
}
