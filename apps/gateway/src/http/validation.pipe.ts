import {
  ArgumentMetadata,
  Injectable,
  PipeTransform,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { validate } from 'class-validator';
import { BadRequestError } from '@vecgate/core';
import { quickAccept } from '../runtime/quick-accept';

function firstProblem(
  errors: ValidationError[],
  prefix = '',
): { field: string; message: string } | undefined {
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const constraint = error.constraints ? Object.values(error.constraints)[0] : undefined;
    if (constraint) return { field, message: constraint };
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
 * transformation (number conversion).
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
}

function isDto(type: abstract new (...args: never[]) => unknown): boolean {
  return ![String, Boolean, Number, Array, Object].includes(type as never);
}
