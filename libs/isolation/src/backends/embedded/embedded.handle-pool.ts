import type Database from 'better-sqlite3';
import { dirname, join } from 'node:path';
// Relative imports only: this file runs inside the engine workers, where path aliases do not
// resolve.
import { fsyncDirectory } from '../../../../core/src/fs/fsync';
import { makePrivateDirectory } from '../../../../core/src/fs/private-files';
import { openSqliteFile } from '../../../../core/src/sql/sqlite-file';

/**
 * Open SQLite files, bounded: per-tenant files beyond `maxOpen` are closed least recently used
 * first, so thousands of `database` tenants do not exhaust file descriptors. Statements run
 * to completion within a slice and no iterator stays open across one, so a handle is never
 * closed while a statement runs on it.
 */
export class SqliteHandlePool {
  private readonly handles = new Map<string, Database.Database>();

  constructor(
    private readonly root: string,
    private readonly maxOpen: number,
    private readonly pinned: ReadonlySet<string>,
  ) {}

  get openCount(): number {
    return this.handles.size;
  }

  isOpen(file: string): boolean {
    return this.handles.has(file);
  }

  absolute(file: string): string {
    return join(this.root, file);
  }

  /**
   * Returns the open handle, opening it when needed. `create` makes a missing file (and makes
   * its directory entry durable); without it a missing file is an error, so a late request
   * can never resurrect an erased tenant's file.
   */
  acquire(file: string, create = false): Database.Database {
    const open = this.handles.get(file);
    if (open) {
      this.handles.delete(file);
      this.handles.set(file, open);
      return open;
    }
    const path = this.absolute(file);
    if (create) makePrivateDirectory(dirname(path));
    const handle = openSqliteFile(path, { mustExist: !create, incrementalVacuum: true });
    if (create) fsyncDirectory(dirname(path));
    this.handles.set(file, handle);
    this.trim();
    return handle;
  }

  close(file: string): void {
    const handle = this.handles.get(file);
    if (!handle) return;
    this.handles.delete(file);
    handle.close();
  }

  closeAll(): void {
    for (const handle of this.handles.values()) handle.close();
    this.handles.clear();
  }

  private trim(): void {
    let unpinnedOpen = [...this.handles.keys()].filter((f) => !this.pinned.has(f)).length;
    for (const file of this.handles.keys()) {
      if (unpinnedOpen <= this.maxOpen) return;
      if (this.pinned.has(file)) continue;
      this.close(file);
      unpinnedOpen--;
    }
  }
}
