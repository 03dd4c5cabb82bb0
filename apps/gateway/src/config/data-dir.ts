import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDirectory } from '@vecgate/core';

const REPLICA_ID_FILE = 'replica-id';
const REPLICA_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Creates the data directory when missing and checks that this process can write it. Returns
 * the problem in words an operator can act on (a bind mount owned by another uid is the usual
 * cause), rather than SQLite's "unable to open database file" later.
 */
export function dataDirProblem(dir: string): string | undefined {
  try {
    makePrivateDirectory(dir);
    accessSync(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    let owner: string;
    try {
      const stat = statSync(dir);
      owner = `, owned by uid ${stat.uid} with mode ${(stat.mode & 0o777).toString(8)}`;
    } catch {
      owner = ' (it does not exist and cannot be created)';
    }
    return (
      `DATA_DIR: ${dir} is not writable by this process${uid === undefined ? '' : ` (uid ${uid})`}` +
      `${owner}: ${code}; give the directory to that uid or point DATA_DIR elsewhere`
    );
  }
}

/**
 * The id of this gateway replica, kept in its data directory: embedded tenants are recorded as
 * belonging to it, so it survives restarts and travels with the data, and a second process on
 * the same directory (which must not exist) would share it rather than split tenants.
 */
export function replicaIdOf(dir: string): string {
  const file = join(dir, REPLICA_ID_FILE);
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (REPLICA_ID.test(id)) return id;
  }
  const id = randomUUID();
  writeFileSync(file, `${id}\n`, { mode: 0o600 });
  return id;
}
