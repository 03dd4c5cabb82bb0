import { DeadlineExceededError } from '@vecgate/core';
import type { Expiry } from './expiry-queue';

/** Why a request's signal was aborted. */
export type EndReason = 'deadline' | 'client_closed';

/**
 * The pipeline's own bookkeeping for one request, beside the audit state: the controller
 * behind `request.vg.signal`, its pending deadline, and what the audit trail already says.
 */
export class RequestLife {
  readonly controller = new AbortController();
  deadline: Expiry | undefined;
  /** Drops the connection if the answer is not handed to the socket in time. */
  writeWatch: Expiry | undefined;
  /** The client went away before its answer was handed to the socket. */
  clientClosed = false;
  /** Status of the event already recorded for this request, if any. */
  recordedStatus: number | undefined;
  /** Records that event now if it is still waiting for the end of the loop's turn. */
  recordNow: (() => void) | undefined;
  /** Gives back the request's room in the body budget (once; later calls do nothing). */
  releaseBody: (() => void) | undefined;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the deadline passed (the answer becomes a 504). */
  get deadlinePassed(): boolean {
    return this.signal.aborted && this.signal.reason instanceof DeadlineExceededError;
  }

  end(reason: EndReason): void {
    this.deadline?.cancel();
    this.deadline = undefined;
    if (this.signal.aborted) return;
    switch (reason) {
      case 'deadline':
        this.controller.abort(new DeadlineExceededError());
        return;
      case 'client_closed':
        this.controller.abort(new ClientClosedError());
        return;
    }
  }

  /** The answer was written: nothing is left to abort. */
  settle(): void {
    this.deadline?.cancel();
    this.deadline = undefined;
  }
}

/** The reason of a signal aborted because the client closed its connection. */
export class ClientClosedError extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientClosedError';
  }
}
