import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DeadlineExceededError, TooManyRequestsError, UnavailableError } from '@vecgate/core';
import type {
  AnnStatus,
  ControlResults,
  EngineCall,
  EngineControl,
  EngineReply,
  EngineRequest,
  EngineResults,
  EngineStats,
  EngineTarget,
  EngineWorkerData,
} from './embedded.engine-protocol';
import { whenAborted } from '../../ports/call-signal';
import { embeddedError } from './embedded.errors';

const noop = (): void => undefined;

export interface EnginePoolOptions extends EngineWorkerData {
  /** Worker threads; each tenant is pinned to one of them by its uid. */
  readonly workers: number;
  /** Calls one tenant may have queued or running; beyond it the tenant gets 429. */
  readonly tenantQueue: number;
  /** Calls the whole engine may have queued or running; beyond it everyone gets 503. */
  readonly queue: number;
}

/** A request before it gets its id (Omit over each member of the union). */
type Unsent = EngineRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface Pending {
  readonly worker: number;
  /** The call's or control's operation, named in its error. */
  readonly op: string;
  readonly tenant?: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly detach: () => void;
}

/**
 * The main thread's side of the embedded engine: it only posts messages to the worker that
 * owns a tenant and awaits the reply. Admission is decided here, before any work is queued:
 * a tenant over its own bound is refused (429) without touching anyone else's share.
 */
export class EnginePool {
  private readonly workers: (Worker | undefined)[];
  private readonly pending = new Map<number, Pending>();
  private readonly perTenant = new Map<string, number>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: EnginePoolOptions) {
    this.workers = new Array<Worker | undefined>(options.workers).fill(undefined);
  }

  /** Index of the worker that holds a tenant's matrix and runs its jobs. */
  ownerOf(tenantUid: string): number {
    return Number.parseInt(tenantUid.slice(0, 8), 16) % this.workers.length;
  }

  isStarted(worker: number): boolean {
    return this.workers[worker] !== undefined;
  }

  get size(): number {
    return this.workers.length;
  }

  call<O extends EngineCall['op']>(
    call: Extract<EngineCall, { op: O }>,
    signal?: AbortSignal,
  ): Promise<EngineResults[O]> {
    if (this.closed) return Promise.reject(new UnavailableError('the embedded engine is closed'));
    if (signal?.aborted) return Promise.reject(new DeadlineExceededError());
    const tenant = call.target.tenantUid;
    const mine = this.perTenant.get(tenant) ?? 0;
    if (mine >= this.options.tenantQueue) {
      return Promise.reject(
        new TooManyRequestsError(
          `this tenant already has ${mine} embedded engine calls in progress (EMBEDDED_TENANT_QUEUE)`,
          1,
        ),
      );
    }
    if (this.pending.size >= this.options.queue) {
      return Promise.reject(
        new UnavailableError('the embedded engine queue is full (EMBEDDED_QUEUE)', 1, 'busy'),
      );
    }
    this.perTenant.set(tenant, mine + 1);
    const worker = this.ownerOf(tenant);
    return this.send<EngineResults[O]>(worker, { kind: 'call', call }, call.op, tenant, signal);
  }

  control<O extends EngineControl['op']>(
    worker: number,
    control: Extract<EngineControl, { op: O }>,
  ): Promise<ControlResults[O]> {
    if (this.closed) return Promise.reject(new UnavailableError('the embedded engine is closed'));
    return this.send<ControlResults[O]>(worker, { kind: 'control', control }, control.op);
  }

  /** True while one of the tenant's matrices is held in memory (used by erasure checks). */
  async isCached(tenantUid: string): Promise<boolean> {
    const owner = this.ownerOf(tenantUid);
    if (!this.isStarted(owner)) return false;
    return this.control(owner, { op: 'cached', tenantUid });
  }

  /** The HNSW graph of one namespace of a tenant, as its worker holds it. */
  async annStatus(target: EngineTarget): Promise<AnnStatus> {
    const owner = this.ownerOf(target.tenantUid);
    if (!this.isStarted(owner)) return { state: 'none', size: 0, saved: false };
    return this.control(owner, { op: 'ann', target });
  }

  /** Matrix cache and file use, summed over the started workers. */
  async stats(): Promise<EngineStats> {
    const total = { cachedTenants: 0, cacheBytes: 0, openTenantFiles: 0 };
    for (let w = 0; w < this.size; w++) {
      if (!this.isStarted(w)) continue;
      const s = await this.control(w, { op: 'stats' });
      total.cachedTenants += s.cachedTenants;
      total.cacheBytes += s.cacheBytes;
      total.openTenantFiles += s.openTenantFiles;
    }
    return total;
  }

  /** Asks every worker for a trivial read of the shared file (starting the ones not running). */
  async health(): Promise<void> {
    for (let w = 0; w < this.size; w++) await this.control(w, { op: 'health' });
  }

  async close(): Promise<void> {
    const running = this.workers.flatMap((w, i) => (w ? [i] : []));
    await Promise.all(
      running.map((i) =>
        this.control(i, { op: 'close' }).catch(() => {
          // A worker that cannot close its files is terminated below all the same.
        }),
      ),
    );
    this.closed = true;
    await Promise.all(
      running.map(async (i) => {
        const worker = this.workers[i];
        this.workers[i] = undefined;
        await worker?.terminate();
      }),
    );
    this.failAll(new UnavailableError('the embedded engine is closed'));
  }

  private send<T>(
    worker: number,
    message: Unsent,
    op: string,
    tenant?: string,
    signal?: AbortSignal,
  ): Promise<T> {
    const id = this.nextId++;
    const thread = this.start(worker);
    return new Promise<T>((resolve, reject) => {
      // The reply decides the outcome, never the abort itself: a write that committed before
      // the cancellation reached the worker is answered as committed.
      const cancel = () => thread.postMessage({ id, kind: 'cancel' } satisfies EngineRequest);
      this.pending.set(id, {
        worker,
        op,
        tenant,
        resolve: resolve as (value: unknown) => void,
        reject,
        detach: signal ? whenAborted(signal, cancel) : noop,
      });
      thread.postMessage({ ...message, id });
    });
  }

  private settle(reply: EngineReply): void {
    const waiter = this.take(reply.id);
    if (!waiter) return;
    if (reply.ok) waiter.resolve(reply.value);
    else if (reply.cancelled) waiter.reject(new DeadlineExceededError());
    else waiter.reject(embeddedError(waiter.op, reply.fault));
  }

  private take(id: number): Pending | undefined {
    const waiter = this.pending.get(id);
    if (!waiter) return undefined;
    this.pending.delete(id);
    waiter.detach();
    if (waiter.tenant !== undefined) {
      const left = (this.perTenant.get(waiter.tenant) ?? 1) - 1;
      if (left > 0) this.perTenant.set(waiter.tenant, left);
      else this.perTenant.delete(waiter.tenant);
    }
    return waiter;
  }

  private start(index: number): Worker {
    const running = this.workers[index];
    if (running) return running;
    const data: EngineWorkerData = {
      directory: this.options.directory,
      cacheBytes: this.options.cacheBytes,
      maxOpenFiles: this.options.maxOpenFiles,
      sliceMs: this.options.sliceMs,
      ann: this.options.ann,
    };
    const worker = spawnEngineWorker(data);
    worker.unref();
    worker.on('message', (reply: EngineReply) => this.settle(reply));
    const stopped = (reason: string) => {
      if (this.workers[index] !== worker) return;
      this.workers[index] = undefined;
      // Its calls are lost with it; the next call for one of its tenants starts a new worker.
      this.failWorker(index, new UnavailableError(`an embedded engine worker ${reason}`));
    };
    worker.on('error', (err) => stopped(`failed: ${err.message}`));
    worker.on('exit', (code) => stopped(`exited with code ${code}`));
    this.workers[index] = worker;
    return worker;
  }

  private failWorker(index: number, error: Error): void {
    for (const [id, waiter] of this.pending) {
      if (waiter.worker === index) this.take(id)?.reject(error);
    }
  }

  private failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.take(id)?.reject(error);
  }
}

/**
 * Starts a worker on the compiled `embedded.worker.js` beside this file, or, when running from
 * sources (jest, tsx), on `embedded.worker.ts` through tsx's require hook.
 */
function spawnEngineWorker(workerData: EngineWorkerData): Worker {
  const compiled = join(__dirname, 'embedded.worker.js');
  if (existsSync(compiled)) return new Worker(compiled, { workerData });
  const source = join(__dirname, 'embedded.worker.ts');
  const tsx = require.resolve('tsx/cjs/api');
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`;
  return new Worker(bootstrap, { eval: true, workerData });
}
