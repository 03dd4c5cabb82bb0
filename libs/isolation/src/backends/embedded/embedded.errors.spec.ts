import Database from 'better-sqlite3';
import { join } from 'node:path';
import { embeddedSandbox } from '../../../../../test/support/embedded-sandbox';
import {
  BackendError,
  CapacityError,
  UnavailableError,
  UnprocessableError,
  VecgateError,
} from '../../../../core/src/errors/vecgate.error';
import { embeddedError, engineFault } from './embedded.errors';

/** What a job's failure becomes once it has crossed from the worker to the main thread. */
function crossed(operation: string, raise: () => unknown): Error {
  try {
    raise();
  } catch (err) {
    // The reply is structured-cloned between threads: only plain data survives.
    return embeddedError(operation, structuredClone(engineFault(err)));
  }
  throw new Error('expected the statement to fail');
}

describe('embedded error translation', () => {
  const sandbox = embeddedSandbox('vg-embedded-errors-');
  const file = () => join(sandbox.dir, 'a.db');
  let db: Database.Database;

  beforeEach(() => {
    db = new Database(file());
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE "vg_t_secret0123" (id TEXT NOT NULL PRIMARY KEY, v BLOB)');
  });

  afterEach(() => db.close());

  it('answers 503 with Retry-After when another connection holds the write lock', () => {
    const other = new Database(file());
    other.pragma('busy_timeout = 0');
    db.exec('BEGIN IMMEDIATE');
    try {
      const error = crossed('upsert', () =>
        other.prepare(`INSERT INTO "vg_t_secret0123" VALUES ('x', NULL)`).run(),
      );
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as VecgateError).status).toBe(503);
      expect((error as VecgateError).extras.retryAfterSeconds).toBe(1);
      expect(error.message).toBe('the embedded store is busy (upsert: SQLITE_BUSY)');
    } finally {
      db.exec('ROLLBACK');
      other.close();
    }
  });

  it("answers 422 for a value SQLite refuses, naming the code but not SQLite's text", () => {
    const error = crossed('upsert', () =>
      db.prepare(`INSERT INTO "vg_t_secret0123" VALUES (NULL, NULL)`).run(),
    );
    expect(error).toBeInstanceOf(UnprocessableError);
    expect(error.message).toBe(
      'the embedded store refused a value (upsert: SQLITE_CONSTRAINT_NOTNULL)',
    );
    // SQLite names the table (a tenant's uid): kept for the log, never in the answer.
    expect(error.message).not.toContain('secret');
    expect((error.cause as Error).message).toContain('vg_t_secret0123.id');
  });

  it('answers 502 for any other SQLite failure, such as a file that cannot be opened', () => {
    const error = crossed(
      'fetch',
      () => new Database(join(sandbox.dir, 'gone.db'), { fileMustExist: true }),
    );
    expect(error).toBeInstanceOf(BackendError);
    expect((error as VecgateError).status).toBe(502);
    expect(error.message).toBe('embedded fetch failed (SQLITE_CANTOPEN)');
    const missing = crossed('search', () => db.prepare('SELECT * FROM nowhere').all());
    expect(missing).toBeInstanceOf(BackendError);
    expect(missing.message).toBe('embedded search failed (SQLITE_ERROR)');
  });

  it('answers 507 when the file cannot grow (a full disk)', () => {
    // A page limit makes SQLite report SQLITE_FULL exactly as a full disk does.
    const pages = Number(db.pragma('page_count', { simple: true }));
    db.pragma(`max_page_count = ${pages}`);
    const error = crossed('upsert', () =>
      db.prepare(`INSERT INTO "vg_t_secret0123" VALUES ('big', zeroblob(1000000))`).run(),
    );
    expect(error.message).toBe('the embedded data directory is full (upsert)');
    expect(error).toBeInstanceOf(CapacityError);
    expect((error as VecgateError).status).toBe(507);
    expect((error as VecgateError).extras.reason).toBe('limit:disk');
  });

  it("keeps the backend's own broken invariants as internal errors, with their message", () => {
    const error = crossed('count', () => {
      throw new Error('placement does not match its uid and strategy');
    });
    expect(error).not.toBeInstanceOf(VecgateError);
    expect(error.message).toBe('placement does not match its uid and strategy');
  });
});
