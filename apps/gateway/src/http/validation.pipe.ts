import {
  ArgumentMetadata,
  Injectable,
  PipeTransform,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { validate, ValidationTypes } from 'class-validator';
import { BadRequestError } from '@vecgate/core';
import { NoBody } from '../dto/no-body.dto';
import { NoQuery } from '../dto/no-query.dto';
import { NOT_NULL } from '../dto/rules';
import { quickAccept } from '../runtime/quick-accept';
import { mostBasicFault, UNKNOWN_VALUE } from '../runtime/constraint-rank';

/** Refusals of a key (an unknown property) or of a whole value, rather than of a field's value. */
const OF_THE_KEY = new Set<string>([ValidationTypes.WHITELIST, UNKNOWN_VALUE]);

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
  if (NOT_NULL in constraints) return constraints[NOT_NULL];
  // `value` is absent from the error (not undefined) when the validator was told to omit it.
  if (!ofTheKey && 'value' in error && (error.value === undefined || error.value === null)) {
    return `${error.property} is required`;
  }
  return mostBasicFault(constraints);
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
    if (metadata.type === 'body' && type === NoBody) return noBody(value);
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
      if (first !== undefined) throw unknownParameter(first);
      return NO_QUERY;
    }
    if (first === undefined) {
      const instance = Object.create(type.prototype as object) as Record<string, unknown>;
      if (quickAccept(instance, type)) return instance;
    }
    return this.query.transform(value, metadata).catch((err: unknown) => {
      // class-validator's words are a body's ("property x should not exist"): a parameter is
      // named as one, so a `namespace` sent in the query is not read as a body field at fault.
      if (err instanceof BadRequestError && err.message.endsWith(' should not exist')) {
        throw unknownParameter(err.extras.field ?? '');
      }
      throw err;
    });
  }
}

type Dto = abstract new (...args: never[]) => unknown;

/** What a route without query parameters receives: no state, so one instance serves all. */
const NO_QUERY = Object.freeze(new NoQuery());
const NO_BODY = Object.freeze(new NoBody());

function unknownParameter(name: string): BadRequestError {
  return new BadRequestError(`this route takes no query parameter ${name}`, name);
}

function noBody(value: unknown): NoBody {
  const empty =
    value === undefined ||
    value === null ||
    (typeof value === 'object' && !Array.isArray(value) && firstKey(value) === undefined);
  if (!empty) throw new BadRequestError('this route takes no body', 'body');
  return NO_BODY;
}

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
