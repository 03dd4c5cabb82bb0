import {
  Allow,
  getMetadataStorage,
  IsArray,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  validate,
  ValidateIf,
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  Validate,
} from 'class-validator';
import * as apiKeys from '../dto/api-keys.dto';
import * as audit from '../dto/audit.dto';
import * as page from '../dto/page.dto';
import * as qdrantTokens from '../dto/qdrant-tokens.dto';
import * as tenants from '../dto/tenants.dto';
import * as tokens from '../dto/tokens.dto';
import * as vectors from '../dto/vectors.dto';
import { rng } from '../../../../test/support/rng';
import { quickAccept } from './quick-accept';
import { installValidationMetadataCache } from './validation-metadata-cache';

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };

type Dto = new () => object;

function instanceOf(type: Dto, body: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(type.prototype as object) as object, body);
}

async function classValidatorAccepts(type: Dto, body: Record<string, unknown>): Promise<boolean> {
  return (await validate(instanceOf(type, body), OPTIONS)).length === 0;
}

function accepts(type: Dto, body: Record<string, unknown>): boolean {
  return quickAccept(instanceOf(type, body), type);
}

const VALUES: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  1,
  -1,
  1.5,
  10,
  1000,
  1001,
  NaN,
  '',
  'abc',
  'docs',
  'acme-1',
  'reader',
  'tenant_admin',
  'a'.repeat(300),
  [],
  [1, 2, 3],
  ['a', 'b'],
  ['reader'],
  [null],
  {},
  { genre: 'news' },
  { $eq: 1 },
];

const DTOS: [string, Dto][] = [apiKeys, audit, page, qdrantTokens, tenants, tokens, vectors]
  .flatMap((module) => Object.entries(module))
  .filter(
    (entry): entry is [string, Dto] =>
      typeof entry[1] === 'function' &&
      getMetadataStorage().getTargetValidationMetadatas(
        entry[1],
        undefined as unknown as string,
        false,
        false,
      ).length > 0,
  );

describe('quickAccept', () => {
  beforeAll(() => installValidationMetadataCache());

  it('finds the gateway body classes to compare', () => {
    expect(DTOS.map(([name]) => name)).toEqual(
      expect.arrayContaining(['SearchRequest', 'UpsertVectorsRequest', 'DeleteVectorsRequest']),
    );
  });

  it.each(DTOS)(
    '%s: says valid exactly when class-validator finds no error',
    async (_name, type) => {
      const random = rng(0x5eed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
      const keys = Object.keys(
        getMetadataStorage().groupByPropertyName(
          getMetadataStorage().getTargetValidationMetadatas(
            type,
            undefined as unknown as string,
            false,
            false,
          ),
        ),
      );
      const extra = ['extra', 'filters', 'Vector'];
      // Per property, the values class-validator finds nothing wrong with there, so that whole
      // bodies pass often enough; other values still come in, one property in ten.
      const fitting = new Map<string, unknown[]>();
      const listed = getMetadataStorage()
        .getTargetValidationMetadatas(type, undefined as unknown as string, false, false)
        .filter((m) => m.name === 'isIn')
        .flatMap((m) => m.constraints[0] as unknown[]);
      for (const key of keys) {
        const fits: unknown[] = [];
        for (const value of [...VALUES, ...listed]) {
          const errors = await validate(instanceOf(type, { [key]: value }), OPTIONS);
          if (!errors.some((e) => e.property === key)) fits.push(value);
        }
        fitting.set(key, fits.length > 0 ? fits : VALUES);
      }
      let accepted = 0;
      for (let i = 0; i < 600; i++) {
        const body: Record<string, unknown> = {};
        for (const key of keys) {
          if (random() < 0.2) continue;
          body[key] = pick(random() < 0.9 ? (fitting.get(key) ?? VALUES) : VALUES);
        }
        if (random() < 0.1) body[pick(extra)] = pick(VALUES);
        const quick = accepts(type, body);
        const full = await classValidatorAccepts(type, body);
        if (quick !== full) throw new Error(`differs on ${JSON.stringify(body)}: ${quick}`);
        if (quick) accepted++;
      }
      // Bodies that pass do occur, so the fast path is exercised, not just the refusals.
      if (keys.length > 0) expect(accepted).toBeGreaterThan(0);
    },
  );

  it('accepts a typical search body and leaves a wrong one to class-validator', () => {
    const search = vectors.SearchRequest as Dto;
    expect(accepts(search, { vector: [0.1, 0.2], topK: 10, includeMetadata: true })).toBe(true);
    expect(accepts(search, { vector: [0.1], topK: 10, namespace: 'docs', exact: false })).toBe(
      true,
    );
    expect(accepts(search, { vector: [0.1], topK: 0 })).toBe(false);
    expect(accepts(search, { vector: [0.1], topK: 1001 })).toBe(false);
    expect(accepts(search, { vector: [0.1], topK: 1.5 })).toBe(false);
    expect(accepts(search, { vector: 'x', topK: 1 })).toBe(false);
    expect(accepts(search, { vector: [0.1] })).toBe(false);
    expect(accepts(search, { vector: [0.1], topK: 1, includeValues: 'yes' })).toBe(false);
    expect(accepts(search, { vector: [0.1], topK: 1, filters: {} })).toBe(false);
  });

  it('skips an optional property that is null or absent, as class-validator does', async () => {
    const search = vectors.SearchRequest as Dto;
    for (const filter of [null, undefined]) {
      const body = { vector: [1], topK: 1, filter };
      expect(accepts(search, body)).toBe(true);
      expect(await classValidatorAccepts(search, body)).toBe(true);
    }
  });

  it('applies each-rules to every member, and to a lone value as itself', async () => {
    class Tags {
      @IsString({ each: true }) tags!: unknown;
    }
    for (const tags of [['a', 'b'], new Set(['a']), new Map([[1, 'a']]), 'a', ['a', 1], 1]) {
      expect(accepts(Tags, { tags })).toBe(await classValidatorAccepts(Tags, { tags }));
    }
    expect(accepts(Tags, { tags: ['a', 'b'] })).toBe(true);
    expect(accepts(Tags, { tags: ['a', 1] })).toBe(false);
  });

  it('honours conditions and validateIf, and knows keys allowed by @Allow', async () => {
    class Conditional {
      @Allow() note?: unknown;
      @IsString() kind!: string;
      @ValidateIf((o: { kind?: string }) => o.kind === 'range')
      @IsInt()
      @Min(0)
      @Max(9)
      from?: unknown;
    }
    const cases = [
      { kind: 'range', from: 3 },
      { kind: 'range', from: 30 },
      { kind: 'point', from: 'anything' },
      { kind: 'point', note: { free: true } },
    ];
    for (const body of cases) {
      expect(accepts(Conditional, body)).toBe(await classValidatorAccepts(Conditional, body));
    }
    expect(accepts(Conditional, { kind: 'point', from: 'anything' })).toBe(true);
  });

  it('sends classes with rules it does not model to class-validator', () => {
    class Inner {
      @IsInt() n!: number;
    }
    class Nested {
      @ValidateNested() inner!: Inner;
    }
    class Defined {
      @IsDefined() id!: string;
    }
    @ValidatorConstraint({ async: true })
    class Later implements ValidatorConstraintInterface {
      validate(): Promise<boolean> {
        return Promise.resolve(true);
      }
    }
    class Async {
      @Validate(Later) id!: string;
    }
    expect(accepts(Nested, { inner: { n: 1 } })).toBe(false);
    expect(accepts(Defined, { id: 'x' })).toBe(false);
    expect(accepts(Async, { id: 'x' })).toBe(false);
  });

  it('leaves a constraint that answers with a promise to class-validator', async () => {
    @ValidatorConstraint()
    class Promising implements ValidatorConstraintInterface {
      validate(_value: unknown, _args: ValidationArguments): Promise<boolean> {
        return Promise.resolve(true);
      }
    }
    class Body {
      @Validate(Promising) id!: string;
    }
    expect(accepts(Body, { id: 'x' })).toBe(false);
    expect(await classValidatorAccepts(Body, { id: 'x' })).toBe(true);
  });

  it('refuses a class without rules, which class-validator reports as unknown', async () => {
    class Bare {
      id?: string;
    }
    expect(accepts(Bare, {})).toBe(false);
    expect(await classValidatorAccepts(Bare, {})).toBe(false);
  });

  it('sees rules added after its first answer', () => {
    class Growing {
      @IsOptional() @IsArray() items?: unknown;
    }
    expect(accepts(Growing, { items: [], more: 1 })).toBe(false);
    expect(accepts(Growing, { items: [] })).toBe(true);
    class Grown extends Growing {
      @IsOptional() @IsInt() more?: unknown;
    }
    expect(accepts(Grown, { items: [], more: 1 })).toBe(true);
    expect(accepts(Grown, { items: [], more: 'x' })).toBe(false);
  });
});
