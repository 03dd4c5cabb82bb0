import { closeSync, fsyncSync, openSync } from 'node:fs';

/**
 * Makes a directory entry (a created, renamed or removed file) durable. Without it a power
 * loss can forget that a file exists even though its contents were synced.
 */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
