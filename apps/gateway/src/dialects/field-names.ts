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

/**
 * The first field of a request object that `known` does not list, or undefined. Dialects
 * refuse it with a 400 naming it: a field that was silently dropped (a misspelt `filter`,
 * `setMetadata`) would turn a call into something the caller did not ask for. With
 * `nullIsUnset`, a field sent as `null` asks for nothing and passes.
 */
export function unknownField(
  fields: Record<string, unknown>,
  known: readonly string[],
  nullIsUnset = false,
): string | undefined {
  for (const field in fields) {
    if (!Object.hasOwn(fields, field) || known.includes(field)) continue;
    if (nullIsUnset && fields[field] === null) continue;
    return field;
  }
  return undefined;
}

/**
 * A refusal's field as a dialect's client names it: the guards name a body field from the
 * body (`body.points[0].payload._vg`), a client names it as it wrote it
 * (`points[0].payload._vg`).
 */
export function fieldAsSent(field: string): string {
  return field.startsWith('body.') ? field.slice(5) : field;
}
