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
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work().then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
