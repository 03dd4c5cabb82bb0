import { applyDecorators } from '@nestjs/common';
import { ValidateBy, ValidateIf } from 'class-validator';
import { instantOf } from '@vecgate/core';

/** The name of the rule `@IsOmittable` adds; the validation pipe names its refusal first. */
export const NOT_NULL = 'notNull';

/**
 * A field that may be left out but not sent as null. `@IsOptional` skips null as well, which
 * on a change (PATCH) would pass a null to the store ("set status to nothing"); here null is
 * refused, naming the field, and an absent field keeps its value.
 */
export function IsOmittable(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_object: object, value: unknown) => value !== undefined),
    ValidateBy({
      name: NOT_NULL,
      validator: {
        validate: (value: unknown) => value !== null,
        defaultMessage: (args) =>
          `${args?.property ?? 'field'} cannot be null: leave it out to keep its value`,
      },
    }),
  );
}

/**
 * An ISO 8601 date (`2026-11-01`, midnight UTC) or date-time (`2026-11-01T10:00:00Z`; UTC
 * without an offset), read by `instantOf`: a week or ordinal date, the basic format or an
 * impossible day is refused, not read as no date or rolled into the next month.
 */
export function IsInstant(): PropertyDecorator {
  return ValidateBy({
    name: 'isInstant',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && instantOf(value) !== undefined,
      defaultMessage: (args) =>
        `${args?.property ?? 'field'} must be a date (2026-11-01) or date-time ` +
        '(2026-11-01T10:00:00Z, UTC without an offset) that exists',
    },
  });
}
