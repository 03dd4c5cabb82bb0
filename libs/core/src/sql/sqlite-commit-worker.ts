import { Worker } from 'node:worker_threads';
import { SQLITE_PRAGMAS } from './sqlite-file';

export interface SqlStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

interface Reply {
  readonly id: number;
  readonly error?: string;
}

/**
 * The worker's code, evaluated from a string so it runs the same under ts-node, jest and the
 * compiled build. It opens its own connection with the same pragmas and runs each batch in
 * one transaction.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
for (const pragma of workerData.pragmas) db.pragma(pragma);
const statements = new Map();
const prepared = (sql) => {
  let s = statements.get(sql);
  if (!s) { s = db.prepare(sql); statements.set(sql, s); }
  return s;
};
const run = db.transaction((batch) => { for (const q of batch) prepared(q.sql).run(...q.parameters); });
parentPort.on('message', (message) => {
  if (message.close) { db.close(); parentPort.postMessage({ id: message.id }); return; }
  try { run(message.batch); parentPort.postMessage({ id: message.id }); }
  catch (err) { parentPort.postMessage({ id: message.id, error: String(err && err.message || err) }); }
});
`;

/**
 * Commits SQLite write batches on a worker thread. better-sqlite3 is synchronous, and a
 * durable commit waits for fsync (about a millisecond or more on common disks); on the main
 * thread that wait would stall every request in flight. Here it stalls only the worker, while
 * the event loop keeps serving and the next group of writes accumulates.
 */
export class SqliteCommitWorker {
  private worker?: Worker;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: () => void; reject: (err: Error) => void }
  >();

  constructor(private readonly file: string) {}

  execute(batch: readonly SqlStatement[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the SQLite commit worker is closed'));
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, batch });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const id = this.nextId++;
    await new Promise<void>((resolve) => {
      this.pending.set(id, { resolve, reject: () => resolve() });
      worker.postMessage({ id, close: true });
    });
    this.worker = undefined;
    await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: require.resolve('better-sqlite3'),
        file: this.file,
        pragmas: SQLITE_PRAGMAS,
      },
    });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.error === undefined) waiter.resolve();
      else waiter.reject(new Error(reply.error));
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (this.worker === worker)
        this.fail(new Error(`SQLite commit worker exited with code ${code}`));
    });
    this.worker = worker;
    return worker;
  }

  /** Rejects everything in flight; the next batch starts a fresh worker. */
  private fail(err: Error): void {
    this.worker = undefined;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
