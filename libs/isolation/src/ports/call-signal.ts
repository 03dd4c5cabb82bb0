import { DeadlineExceededError, VecgateError } from '@vecgate/core';
import type { CallOptions } from './vector.types';

/**
 * The error a call stops with once its signal is aborted: the reason the gateway gave (the
 * deadline), or a DeadlineExceededError for any other abort (the client left: no one reads it).
 */
export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof VecgateError ? signal.reason : new DeadlineExceededError();
}

/**
 * Before a write starts (and between the requests of a chunked write): an aborted call does not
 * begin. A write already sent is not abandoned, so that its outcome (committed or not) is the
 * one the client is told.
 */
export function assertNotAborted(call: CallOptions | undefined): void {
  if (call?.signal?.aborted) throw abortError(call.signal);
}

/** What each signal's one 'abort' listener runs: the callbacks of the calls still waiting. */
const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Runs `callback` when `signal` aborts, until the returned function is called. A signal gets
 * one real listener, shared by every call made with it: adding and removing an EventTarget
 * listener per call cost several microseconds each on the request path. Callbacks run in the
 * order they were added, as listeners would.
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = waiting.get(signal);
  if (!callbacks) {
    const set = new Set<() => void>();
    waiting.set(signal, set);
    signal.addEventListener('abort', () => set.forEach((run) => run()), { once: true });
    callbacks = set;
  }
  const own = (): void => callback();
  callbacks.add(own);
  const set = callbacks;
  return () => void set.delete(own);
}

/**
 * A remote read that the SDK cannot cancel itself: once the signal aborts, the call is
 * abandoned (its answer, when it comes, is dropped) and the caller gets the abort reason at once.
 */
export function abandonOnAbort<T>(
  call: CallOptions | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const signal = call?.signal;
  if (!signal) return work();
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const stop = whenAborted(signal, () => reject(abortError(signal)));
    work().then(
      (value) => {
        stop();
        resolve(value);
      },
      (err: Error) => {
        stop();
        reject(err);
      },
    );
  });
}
