import { VecgateError } from '@vecgate/core';

/**
 * A write would take the tenant past its tier's storage quota; nothing of it was written.
 * 403, one status for every quota: clients and SDKs do not retry it (they retry 5xx, and
 * LangChain retries everything but 400–409 and 413), and it is not the caller's input that
 * is malformed, but the tenant that is full.
 */
export class QuotaExceededError extends VecgateError {
  readonly status = 403;
  readonly title = 'Quota Exceeded';
  constructor(message: string, quota: 'vectors' | 'bytes' | 'namespaces') {
    super(message, { reason: `quota:${quota}` });
  }
}
