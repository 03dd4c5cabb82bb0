import Database from 'better-sqlite3';

/** Reads an existing SQLite file through a read-only connection of its own, closed afterwards. */
export function peek<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
