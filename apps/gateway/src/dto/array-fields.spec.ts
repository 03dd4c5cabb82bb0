import { getMetadataStorage, validate } from 'class-validator';
import { BadRequestError } from '@vecgate/core';
import { GatewayValidationPipe } from '../http/validation.pipe';
import * as audit from './audit.dto';
import * as page from './page.dto';
import * as qdrant from './qdrant-tokens.dto';
import * as tenants from './tenants.dto';
import * as tokens from './tokens.dto';
import * as vectors from './vectors.dto';

type Dto = abstract new (...args: never[]) => unknown;

const DTOS = Object.entries<unknown>({
  ...audit,
  ...page,
  ...qdrant,
  ...tenants,
  ...tokens,
  ...vectors,
})
  .filter(([, value]) => typeof value === 'function')
  .map(([name, value]) => [name, value as Dto] as const);

/** Properties whose validators apply to array items (`each: true`) or to an array itself. */
function arrayProperties(dto: Dto): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  return [
    ...new Set(
      metadata.filter((m) => m.each === true || m.name === 'isArray').map((m) => m.propertyName),
    ),
  ];
}

const CASES = DTOS.flatMap(([name, dto]) =>
  arrayProperties(dto).map((property) => [name, property, dto] as const),
);

describe('DTO array fields', () => {
  const pipe = new GatewayValidationPipe();

  it('finds the array fields it checks (roles, vectors, ids, vector)', () => {
    expect(CASES.map(([name, property]) => `${name}.${property}`)).toEqual(
      expect.arrayContaining([
        'MintTokenRequest.roles',
        'UpsertVectorsRequest.vectors',
        'DeleteVectorsRequest.ids',
        'SearchRequest.vector',
      ]),
    );
  });

  // `each: true` validators accept a string and check its characters one by one, so a field
  // that must be an array needs an array check of its own.
  it.each(CASES)('%s.%s refuses a string as not an array', async (_n, property, dto) => {
    const instance = Object.assign(Object.create(dto.prototype as object) as object, {
      [property]: 'tenant_admin',
    });
    // Other required fields are missing too: the array field must be among the problems named.
    const own = (await validate(instance)).find((p) => p.property === property);
    expect(Object.keys(own?.constraints ?? {})).toContain('isArray');
  });

  it('answers a string of roles with 400 naming roles, not a per-character 403', async () => {
    const error = await pipe
      .transform(
        { subject: 'svc', roles: 'tenant_admin', ttlSeconds: 60 },
        { type: 'body', metatype: tokens.MintTokenRequest },
      )
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).extras.field).toBe('roles');
  });
});
