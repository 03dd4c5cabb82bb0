import { VecgateError } from '@vecgate/core';

/** How a dialect names a field vecgate's use cases name otherwise: a path prefix and its name. */
export type FieldNames = readonly (readonly [ours: RegExp, theirs: string])[];

/**
 * Names the field of a refusal as the client sent it: a dialect call goes through vecgate's
 * use cases, whose errors name vecgate's fields (`vectors[0].values`, `ids[0]`, `cursor`). The
 * first pattern that matches the start of the error's field replaces that start (`$1`…
 * groups kept), in the field and wherever the message repeats the field; other errors pass
 * unchanged. Patterns are anchored (`^`) and have no `g` flag.
 */
export function asSent(names: FieldNames): (error: unknown) => never {
  return (error) => {
    const field = error instanceof VecgateError ? error.extras.field : undefined;
    if (error instanceof VecgateError && field !== undefined) {
      for (const [ours, theirs] of names) {
        if (!ours.test(field)) continue;
        const renamed = field.replace(ours, theirs);
        error.extras.field = renamed;
        error.message = error.message.split(field).join(renamed);
        break;
      }
    }
    throw error;
  };
}
