import type {
  ControlResults,
  EngineCall,
  EngineControl,
  EngineReply,
  EngineRequest,
  EngineWorkerData,
} from './embedded.engine-protocol';
import { EngineFiles } from './embedded.engine-files';
import { engineFault } from './embedded.errors';
import { SHARED_FILE } from './embedded.naming';
import { EngineScheduler, Job, Outcome } from './embedded.engine-scheduler';
import { listJob } from './embedded.list';
import { eraseJob, provisionJob } from './embedded.places';
import { countJob, deleteJob, fetchJob, upsertJob } from './embedded.record-jobs';
import { searchJob } from './embedded.search';

/**
 * The engine inside one worker thread: tenant calls become jobs in the scheduler, control
 * messages are answered at once (between slices), and every outcome becomes one reply.
 */
export class EngineHost {
  readonly files: EngineFiles;
  readonly scheduler: EngineScheduler;

  constructor(
    data: EngineWorkerData,
    private readonly reply: (message: EngineReply) => void,
  ) {
    this.files = new EngineFiles(data.directory, data.maxOpenFiles, data.cacheBytes, data.ann);
    this.scheduler = new EngineScheduler(data.sliceMs);
    // Background work (graph builds) gets negative ids, apart from the calls' positive ones.
    let background = 0;
    this.files.ann.attach((queue, start, done) =>
      this.scheduler.submit(--background, queue, () => start(this.scheduler.clock), done),
    );
  }

  handle(request: EngineRequest): void {
    switch (request.kind) {
      case 'call': {
        const { id, call } = request;
        this.scheduler.submit(
          id,
          call.target.tenantUid,
          () => this.job(call),
          (outcome) => this.reply(toReply(id, outcome)),
        );
        return;
      }
      case 'cancel':
        this.scheduler.cancel(request.id);
        return;
      case 'control':
        try {
          this.reply({ id: request.id, ok: true, value: this.control(request.control) });
        } catch (error) {
          this.reply(toReply(request.id, { kind: 'failed', error }));
        }
        return;
    }
  }

  private job(call: EngineCall): Job<unknown> {
    const files = this.files;
    const target = files.checked(call.target);
    const clock = this.scheduler.clock;
    switch (call.op) {
      case 'provision':
        return provisionJob(files, target);
      case 'upsert':
        return upsertJob(files, target, call.records);
      case 'fetch':
        return fetchJob(files, target, call.ids, call.options);
      case 'delete':
        return deleteJob(files, target, call.selector, clock);
      case 'search':
        return searchJob(files, target, call.query, clock);
      case 'count':
        return countJob(files, target);
      case 'list':
        return listJob(files, target, call.page, clock);
      case 'erase':
        return eraseJob(files, target, clock);
    }
  }

  private control(control: EngineControl): ControlResults[EngineControl['op']] {
    switch (control.op) {
      case 'stats':
        return {
          cachedTenants: this.files.cache.tenants,
          cacheBytes: this.files.cache.bytesUsed,
          openTenantFiles: this.files.pool.openCount - 1,
        };
      case 'cached':
        return this.files.cache.hasTenant(control.tenantUid);
      case 'ann': {
        const at = control.target;
        const matrix = this.files.cache.peek(at);
        const saved = this.files.ann.files.hasSaved(at);
        if (matrix?.ann) return { state: 'ready', size: matrix.ann.size, saved };
        // A build waiting for its first slice is under way as far as a caller can tell.
        const building = matrix?.building !== undefined || this.files.ann.isBusy(at);
        return { state: building ? 'building' : 'none', size: 0, saved };
      }
      case 'health':
        this.files.pool.acquire(SHARED_FILE).prepare('SELECT 1').get();
        return null;
      case 'close':
        this.files.pool.closeAll();
        this.files.cache.clear();
        return null;
    }
  }
}

function toReply(id: number, outcome: Outcome): EngineReply {
  switch (outcome.kind) {
    case 'done':
      return { id, ok: true, value: outcome.value };
    case 'cancelled':
      return { id, ok: false, cancelled: true };
    case 'failed':
      return { id, ok: false, cancelled: false, fault: engineFault(outcome.error) };
  }
}
