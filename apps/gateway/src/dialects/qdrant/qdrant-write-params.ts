import { BadRequestError } from '@vecgate/core';

/** Qdrant's write orderings (`WriteOrdering`), spelt as its query string takes them. */
const ORDERINGS: readonly unknown[] = ['weak', 'medium', 'strong'];

/**
 * Qdrant's write parameters, `wait` and `ordering`, typed as Qdrant types them: anything but
 * `true`/`false`, or an ordering it does not know (a repeated parameter too), is a 400, as in
 * Qdrant. Their values change nothing: every write is acknowledged once committed, and one
 * store has no replicas to order writes across.
 */
export function checkWriteParams(query: unknown): void {
  const { wait, ordering } = (query ?? {}) as { wait?: unknown; ordering?: unknown };
  if (wait !== undefined && wait !== 'true' && wait !== 'false')
    throw new BadRequestError('must be true or false', 'wait');
  if (ordering !== undefined && !ORDERINGS.includes(ordering))
    throw new BadRequestError('must be weak, medium or strong', 'ordering');
}

/** Qdrant's named read consistencies (`ReadConsistencyType`); a number of replicas is the other form. */
const CONSISTENCIES: readonly unknown[] = ['majority', 'quorum', 'all'];
/** A positive integer as a query string gives it, up to Qdrant's unsigned 64 bits. */
const POSITIVE = /^0*[1-9][0-9]{0,18}$/;

/**
 * Qdrant's read parameters, `consistency` (a number of replicas, or majority, quorum, all) and
 * `timeout` (seconds, a positive integer), typed as Qdrant types them: anything else (a
 * repeated parameter too) is a 400, as in Qdrant. Their values change nothing: one store has no
 * replicas to consult, and a read is bounded by the gateway's own deadline (`REQUEST_DEADLINE_MS`).
 */
export function checkReadParams(query: unknown): void {
  const { consistency, timeout } = (query ?? {}) as { consistency?: unknown; timeout?: unknown };
  if (
    consistency !== undefined &&
    !CONSISTENCIES.includes(consistency) &&
    !(typeof consistency === 'string' && POSITIVE.test(consistency))
  )
    throw new BadRequestError(
      'must be a positive number of replicas, majority, quorum or all',
      'consistency',
    );
  if (timeout !== undefined && !(typeof timeout === 'string' && POSITIVE.test(timeout)))
    throw new BadRequestError('must be a positive whole number of seconds', 'timeout');
}
