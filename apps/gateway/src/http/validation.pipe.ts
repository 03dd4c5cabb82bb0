import {
  ArgumentMetadata,
  Injectable,
  PipeTransform,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import {
  ARRAY_MAX_SIZE,
  ARRAY_MIN_SIZE,
  ARRAY_NOT_EMPTY,
  IS_ARRAY,
  IS_BOOLEAN,
  IS_BYTE_LENGTH,
  IS_DATE,
  IS_DEFINED,
  IS_ENUM,
  IS_IN,
  IS_INT,
  IS_LENGTH,
  IS_NEGATIVE,
  IS_NOT_EMPTY,
  IS_NUMBER,
  IS_OBJECT,
  IS_POSITIVE,
  IS_STRING,
  MAX,
  MAX_DATE,
  MAX_LENGTH,
  MIN,
  MIN_DATE,
  MIN_LENGTH,
  validate,
  ValidationTypes,
} from 'class-validator';
import { BadRequestError } from '@vecgate/core';
import { NoQuery } from '../dto/no-query.dto';
import { NOT_NULL } from '../dto/rules';
import { quickAccept } from '../runtime/quick-accept';

/**
 * How basic a failed rule is, lowest first: a field that is absent or of the wrong type is
 * named as such before the range it would also miss. class-validator lists a field's failed
 * rules in the order their decorators apply (bottom-up), which says nothing about that.
 */
const PRESENCE = 0;
const TYPE = 1;
const FORMAT = 2;
const SIZE = 3;

/** What class-validator names its refusal of a value that is not an instance of a known class. */
const UNKNOWN_VALUE = 'unknownValue';

const RANKS: Readonly<Record<string, number>> = {
  [ValidationTypes.WHITELIST]: PRESENCE,
  [UNKNOWN_VALUE]: PRESENCE,
  [IS_DEFINED]: PRESENCE,
  [IS_NOT_EMPTY]: PRESENCE,
  [NOT_NULL]: PRESENCE,
  [IS_ARRAY]: TYPE,
  [IS_BOOLEAN]: TYPE,
  [IS_DATE]: TYPE,
  [IS_ENUM]: TYPE,
  [IS_IN]: TYPE,
  [IS_INT]: TYPE,
  [IS_NUMBER]: TYPE,
  [IS_OBJECT]: TYPE,
  [IS_STRING]: TYPE,
  [ARRAY_MAX_SIZE]: SIZE,
  [ARRAY_MIN_SIZE]: SIZE,
  [ARRAY_NOT_EMPTY]: SIZE,
  [IS_BYTE_LENGTH]: SIZE,
  [IS_LENGTH]: SIZE,
  [IS_NEGATIVE]: SIZE,
  [IS_POSITIVE]: SIZE,
  [MAX]: SIZE,
  [MAX_DATE]: SIZE,
  [MAX_LENGTH]: SIZE,
  [MIN]: SIZE,
  [MIN_DATE]: SIZE,
  [MIN_LENGTH]: SIZE,
};

/** Refusals of a key (an unknown property) or of a whole value, rather than of a field's value. */
const OF_THE_KEY = new Set<string>([ValidationTypes.WHITELIST, UNKNOWN_VALUE]);

const rankOf = (constraint: string): number => RANKS[constraint] ?? FORMAT;

/**
 * The message of a field's most basic failure: "is required" for a required field that is
 * absent or null (every rule of it fails then, the range ones included), "cannot be null" for
 * an omittable field sent as null, else the failed rule of the lowest rank (the first
 * class-validator lists among equals).
 */
function messageOf(error: ValidationError): string | undefined {
  const constraints = error.constraints ?? {};
  const failed = Object.keys(constraints);
  if (failed.length === 0) return undefined;
  const ofTheKey = failed.some((name) => OF_THE_KEY.has(name));
  // `value` is absent from the error (not undefined) when the validator was told to omit it.
  if (NOT_NULL in constraints) return constraints[NOT_NULL];
  if (!ofTheKey && 'value' in error && (error.value === undefined || error.value === null)) {
    return `${error.property} is required`;
  }
  let first = failed[0] as string;
  for (const name of failed) if (rankOf(name) < rankOf(first)) first = name;
  return constraints[first];
}

function firstProblem(
  errors: ValidationError[],
  prefix = '',
): { field: string; message: string } | undefined {
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const message = messageOf(error);
    if (message) return { field, message };
    const nested = firstProblem(error.children ?? [], field);
    if (nested) return nested;
  }
  return undefined;
}

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true } as const;

function problemOf(errors: ValidationError[]): BadRequestError {
  const problem = firstProblem(errors);
  return new BadRequestError(problem?.message ?? 'invalid input', problem?.field);
}

/**
 * DTO validation: unknown properties are refused and the first bad field is named.
 *
 * Bodies are validated on a shallow instance of their DTO: the top-level properties are
 * checked, and free-form parts (metadata, filters) reach the use case exactly as the caller
 * sent them. class-transformer's deep copy silently drops keys named like `Object.prototype`
 * members (`valueOf`, `toString`) and fails on a `constructor` key, which would change what a
 * filter selects or what metadata is stored. Query strings are flat and go through the usual
 * transformation (number conversion); every route's query has a DTO, `NoQuery` when it takes
 * none, so an unknown parameter is refused wherever it is sent.
 *
 * A field that breaks several rules is named by its most basic failure: absent, then of the
 * wrong type, then malformed, then out of range or size.
 */
@Injectable()
export class GatewayValidationPipe implements PipeTransform {
  private readonly query = new ValidationPipe({
    ...OPTIONS,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: problemOf,
  });

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const type = metadata.metatype;
    if (metadata.type === 'query' && type && isDto(type))
      return this.queryOf(value, type, metadata);
    if (metadata.type !== 'body' || !type || !isDto(type))
      return this.query.transform(value, metadata);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new BadRequestError('the body must be a JSON object', 'body');
    }
    const instance = Object.assign(Object.create(type.prototype as object) as object, value);
    // Most bodies are valid: they are accepted without class-validator's error objects, which
    // is asked only to name what is wrong (or when a rule is one the acceptor does not model).
    if (quickAccept(instance as Record<string, unknown>, type)) return instance;
    const errors = await validate(instance, OPTIONS);
    if (errors.length > 0) throw problemOf(errors);
    return instance;
  }

  /**
   * A query DTO: `NoQuery` refuses every parameter (class-validator would refuse a class
   * without rules even when nothing is sent). A request without parameters, most of them, is
   * accepted without the transformation when the DTO requires none, as bodies are.
   */
  private async queryOf(value: unknown, type: Dto, metadata: ArgumentMetadata): Promise<unknown> {
    const first = firstKey(value);
    if (type === NoQuery) {
      if (first !== undefined) {
        throw new BadRequestError(`property ${first} should not exist`, first);
      }
      return NO_QUERY;
    }
    if (first === undefined) {
      const instance = Object.create(type.prototype as object) as Record<string, unknown>;
      if (quickAccept(instance, type)) return instance;
    }
    return this.query.transform(value, metadata);
  }
}

type Dto = abstract new (...args: never[]) => unknown;

/** What a route without query parameters receives: no state, so one instance serves all. */
const NO_QUERY = Object.freeze(new NoQuery());

/** The first own key of a parsed query string, without listing them all. */
function firstKey(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return key;
  return undefined;
}

/** Parameter types that are not DTO classes (a `@Query('name') name: string` parameter). */
const PLAIN_TYPES = new Set<unknown>([String, Boolean, Number, Array, Object]);

function isDto(type: Dto): boolean {
  return !PLAIN_TYPES.has(type);
}
