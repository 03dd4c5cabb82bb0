import {
  abortError,
  BackendDrivers,
  CallOptions,
  TenantScope,
  TenantVectorStore,
} from '@vecgate/isolation';
import { RoutingVectorStore } from '@vecgate/isolation/routing/routing-vector-store';
import { MigrationGate } from '@vecgate/isolation/routing/migration-gate';
import { ScopeFence } from '@vecgate/isolation/routing/scope-fence';

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
 * backend would. `settled` counts calls that finished, whatever their outcome. It routes as the
 * production store does, behind an erasure fence of its own that no erasure closes.
 */
export class SlowStore extends RoutingVectorStore {
  readonly slow = new Map<string, Slowness>();
  settled = 0;

  constructor(drivers: BackendDrivers) {
    super(drivers, new ScopeFence(), new MigrationGate());
  }

  override upsert(...[scope, records, call]: Parameters<TenantVectorStore['upsert']>) {
    return this.after(scope, call, (passed) => super.upsert(scope, records, passed));
  }

  override fetch(...[scope, ids, options, call]: Parameters<TenantVectorStore['fetch']>) {
    return this.after(scope, call, (passed) => super.fetch(scope, ids, options, passed));
  }

  override delete(...[scope, selector, call]: Parameters<TenantVectorStore['delete']>) {
    return this.after(scope, call, (passed) => super.delete(scope, selector, passed));
  }

  override search(...[scope, query, call]: Parameters<TenantVectorStore['search']>) {
    return this.after(scope, call, (passed) => super.search(scope, query, passed));
  }

  override list(...[scope, page, call]: Parameters<TenantVectorStore['list']>) {
    return this.after(scope, call, (passed) => super.list(scope, page, passed));
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
