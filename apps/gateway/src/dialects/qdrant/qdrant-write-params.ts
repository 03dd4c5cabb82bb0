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
