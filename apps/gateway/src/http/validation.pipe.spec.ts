import type { ArgumentMetadata } from '@nestjs/common';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { BadRequestError } from '@vecgate/core';
import { CreateApiKeyRequest } from '../dto/api-keys.dto';
import { AdminAuditQuery, AuditQuery } from '../dto/audit.dto';
import { NoBody } from '../dto/no-body.dto';
import { NoQuery } from '../dto/no-query.dto';
import { CreateTenantRequest, ListTenantsQuery } from '../dto/tenants.dto';
import { ListTokensQuery, MintTokenRequest } from '../dto/tokens.dto';
import { FetchVectorQuery, SearchRequest } from '../dto/vectors.dto';
import { GatewayValidationPipe } from './validation.pipe';

type Dto = new () => object;

const pipe = new GatewayValidationPipe();

const body = (metatype: Dto): ArgumentMetadata => ({ type: 'body', metatype });
const query = (metatype: Dto): ArgumentMetadata => ({ type: 'query', metatype });

/** The field and message the pipe answers for this input, or 'accepted'. */
async function answer(
  value: unknown,
  metadata: ArgumentMetadata,
): Promise<{ field?: string; message: string } | 'accepted'> {
  try {
    await pipe.transform(value, metadata);
    return 'accepted';
  } catch (err) {
    if (!(err instanceof BadRequestError)) throw err;
    return { field: err.extras.field, message: err.message };
  }
}

/**
 * The most basic rule decorated first, as the DTOs do: decorators apply bottom-up, so
 * class-validator lists the range or length rule first.
 */
class Layered {
  @IsString()
  @Matches(/^[a-z]+$/)
  @MaxLength(3)
  code!: string;

  @IsInt()
  @Min(1)
  @Max(10)
  count!: number;

  @IsOptional()
  @IsInt()
  @Max(10)
  extra?: number;
}

describe('GatewayValidationPipe: the failure a message names', () => {
  it.each([
    ['missing', {}],
    ['null', { topK: null }],
  ])('names a %s required field as required, not by a range it also misses', async (_n, topK) => {
    expect(await answer({ vector: [1, 2, 3], ...topK }, body(SearchRequest))).toEqual({
      field: 'topK',
      message: 'topK is required',
    });
  });

  it.each([['5'], [true], ['NaN'], [[5]], [1.5], [{}]])(
    'names topK %p as not an integer, not as greater than 1000',
    async (topK) => {
      expect(await answer({ vector: [1, 2, 3], topK }, body(SearchRequest))).toEqual({
        field: 'topK',
        message: 'topK must be an integer number',
      });
    },
  );

  it.each([
    [0, 'topK must not be less than 1'],
    [1001, 'topK must not be greater than 1000'],
  ])('names the range of an integer topK %p outside it', async (topK, message) => {
    expect(await answer({ vector: [1, 2, 3], topK }, body(SearchRequest))).toEqual({
      field: 'topK',
      message,
    });
  });

  it('names roles given as a string as not an array, not as too many elements', async () => {
    const mint = { subject: 's', roles: 'reader', ttlSeconds: 60 };
    expect(await answer(mint, body(MintTokenRequest))).toEqual({
      field: 'roles',
      message: 'roles must be an array',
    });
  });

  it('names an empty roles array by its size once it is an array', async () => {
    const mint = { subject: 's', roles: [], ttlSeconds: 60 };
    expect(await answer(mint, body(MintTokenRequest))).toEqual({
      field: 'roles',
      message: 'roles should not be empty',
    });
  });

  it('names a missing ttlSeconds and a missing key name as required', async () => {
    expect(await answer({ subject: 's', roles: ['reader'] }, body(MintTokenRequest))).toEqual({
      field: 'ttlSeconds',
      message: 'ttlSeconds is required',
    });
    expect(await answer({ roles: ['reader'] }, body(CreateApiKeyRequest))).toEqual({
      field: 'name',
      message: 'name is required',
    });
  });

  it('names the type, then the format, then the length of a field that fails all three', async () => {
    const counted = { count: 5 };
    expect(await answer({ ...counted, code: 12345 }, body(Layered))).toEqual({
      field: 'code',
      message: 'code must be a string',
    });
    expect(await answer({ ...counted, code: 'ABCDE' }, body(Layered))).toEqual({
      field: 'code',
      message: 'code must match /^[a-z]+$/ regular expression',
    });
    expect(await answer({ ...counted, code: 'abcde' }, body(Layered))).toEqual({
      field: 'code',
      message: 'code must be shorter than or equal to 3 characters',
    });
    expect(await answer({ code: 'abc', count: 'many' }, body(Layered))).toEqual({
      field: 'count',
      message: 'count must be an integer number',
    });
    expect(await answer({ code: 'abc', count: 3, extra: 'x' }, body(Layered))).toEqual({
      field: 'extra',
      message: 'extra must be an integer number',
    });
  });

  it('names a tenant id of the wrong type as such, before its pattern and length', async () => {
    const tenant = { id: 42, dimension: 3, metric: 'cosine' };
    expect(await answer(tenant, body(CreateTenantRequest))).toEqual({
      field: 'id',
      message: 'id must be a string',
    });
  });

  it('names an unknown property as unknown, even when its value is null', async () => {
    const search = { vector: [1, 2, 3], topK: 1, nope: null };
    expect(await answer(search, body(SearchRequest))).toEqual({
      field: 'nope',
      message: 'property nope should not exist',
    });
  });

  it.each([
    ['AuditQuery', AuditQuery],
    ['AdminAuditQuery', AdminAuditQuery],
    ['ListTenantsQuery', ListTenantsQuery],
    ['ListTokensQuery', ListTokensQuery],
  ])('names ?limit=abc in a %s as not an integer, not as greater than 1000', async (_n, dto) => {
    expect(await answer({ limit: 'abc' }, query(dto))).toEqual({
      field: 'limit',
      message: 'limit must be an integer number',
    });
    expect(await answer({ limit: '1001' }, query(dto))).toEqual({
      field: 'limit',
      message: 'limit must not be greater than 1000',
    });
  });
});

describe('GatewayValidationPipe: query parameters', () => {
  it('refuses any parameter on a route that takes none, naming it', async () => {
    expect(await answer({ namespace: 'docs' }, query(NoQuery))).toEqual({
      field: 'namespace',
      message: 'this route takes no query parameter namespace',
    });
    expect(await answer({}, query(NoQuery))).toBe('accepted');
  });

  it('refuses a body with any field on a route that takes none, and accepts none, null or {}', async () => {
    expect(await answer({ vectors: [] }, body(NoBody))).toEqual({
      field: 'body',
      message: 'this route takes no body',
    });
    expect(await answer([], body(NoBody))).toEqual({
      field: 'body',
      message: 'this route takes no body',
    });
    for (const nothing of [undefined, null, {}])
      expect(await answer(nothing, body(NoBody))).toBe('accepted');
  });

  it('refuses a misspelt namespace on a fetch and accepts the right one', async () => {
    expect(await answer({ namespce: 'docs' }, query(FetchVectorQuery))).toEqual({
      field: 'namespce',
      message: 'this route takes no query parameter namespce',
    });
    expect(await answer({ namespace: 'docs' }, query(FetchVectorQuery))).toBe('accepted');
  });

  it('returns an instance of the query DTO, converted, with or without parameters', async () => {
    const none = await pipe.transform({}, query(ListTenantsQuery));
    expect(none).toBeInstanceOf(ListTenantsQuery);
    expect((none as ListTenantsQuery).limit).toBeUndefined();
    const some = await pipe.transform({ limit: '5' }, query(ListTenantsQuery));
    expect(some).toBeInstanceOf(ListTenantsQuery);
    expect((some as ListTenantsQuery).limit).toBe(5);
    const filter = (await pipe.transform({}, query(AdminAuditQuery))) as AdminAuditQuery;
    expect(filter.toFilter()).toMatchObject({ tenantId: undefined, action: undefined });
  });
});
