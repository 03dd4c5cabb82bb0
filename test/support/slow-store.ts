import {
  abortError,
  BackendDrivers,
  CallOptions,
  DeleteSelector,
  ListPage,
  ListResult,
  ReadOptions,
  ScoredRecord,
  SearchQuery,
  StoredRecord,
  TenantScope,
  TenantVectorStore,
  VectorWrite,
} from '@vecgate/isolation';

/** How a slowed tenant's backend behaves. */
export interface Slowness {
  readonly delayMs: number;
  /** Stops at the aborted signal during its delay, like a backend working in slices; else ignores it. */
  readonly honoursSignal: boolean;
  /** Spins on the event loop for the delay instead, as a synchronous scan would. */
  readonly blocksLoop?: boolean;
}

/**
 * A fault-injecting adapter in front of the real backends: calls for the tenants in `slow` wait
 * before they reach the real backend (the write then really happens), as a stalled or remote
 * backend would. `settled` counts calls that finished, whatever their outcome.
 */
export class SlowStore extends TenantVectorStore {
  readonly slow = new Map<string, Slowness>();
  settled = 0;

  constructor(private readonly drivers: BackendDrivers) {
    super();
  }

  upsert(
    scope: TenantScope,
    records: readonly VectorWrite[],
    call?: CallOptions,
  ): Promise<{ upserted: number }> {
    return this.after(scope, call, (passed) =>
      this.drivers.get(scope.placement.backend).upsert(scope, records, passed),
    );
  }

  fetch(
    scope: TenantScope,
    ids: readonly string[],
    options: ReadOptions,
    call?: CallOptions,
  ): Promise<StoredRecord[]> {
    return this.after(scope, call, (passed) =>
      this.drivers.get(scope.placement.backend).fetch(scope, ids, options, passed),
    );
  }

  delete(
    scope: TenantScope,
    selector: DeleteSelector,
    call?: CallOptions,
  ): Promise<{ deleted: number }> {
    return this.after(scope, call, (passed) =>
      this.drivers.get(scope.placement.backend).delete(scope, selector, passed),
    );
  }

  search(scope: TenantScope, query: SearchQuery, call?: CallOptions): Promise<ScoredRecord[]> {
    return this.after(scope, call, (passed) =>
      this.drivers.get(scope.placement.backend).search(scope, query, passed),
    );
  }

  count(scope: TenantScope, call?: CallOptions): Promise<number> {
    return this.drivers.get(scope.placement.backend).count(scope, call);
  }

  list(scope: TenantScope, page: ListPage, call?: CallOptions): Promise<ListResult> {
    return this.after(scope, call, (passed) =>
      this.drivers.get(scope.placement.backend).list(scope, page, passed),
    );
  }

  private async after<T>(
    scope: TenantScope,
    call: CallOptions | undefined,
    work: (call: CallOptions | undefined) => Promise<T>,
  ): Promise<T> {
    const slowness = this.slow.get(scope.tenantId);
    try {
      if (slowness) await pause(slowness, call?.signal);
      // A backend that ignores the signal goes on to do the work, whatever the deadline did.
      return await work(slowness && !slowness.honoursSignal ? undefined : call);
    } finally {
      this.settled++;
    }
  }
}

function pause(slowness: Slowness, signal: AbortSignal | undefined): Promise<void> {
  if (slowness.blocksLoop) {
    const until = Date.now() + slowness.delayMs;
    while (Date.now() < until) {
      // Nothing else runs meanwhile: no timer, no socket event.
    }
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, slowness.delayMs);
    // A slowed call left behind by a finished test must not keep the test worker alive.
    timer.unref();
    if (slowness.honoursSignal && signal) {
      const stop = (): void => {
        clearTimeout(timer);
        reject(abortError(signal));
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    }
  });
}
