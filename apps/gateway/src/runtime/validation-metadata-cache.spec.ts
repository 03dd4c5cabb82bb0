import { IsInt, IsString, Max, validate } from 'class-validator';
import { installValidationMetadataCache } from './validation-metadata-cache';

class Base {
  @IsInt()
  @Max(10)
  n!: number;
}

const problems = async (value: object): Promise<string[]> =>
  (await validate(value, { whitelist: true, forbidNonWhitelisted: true })).flatMap((e) =>
    Object.values(e.constraints ?? {}),
  );

describe('validation metadata cache', () => {
  beforeAll(() => installValidationMetadataCache());

  it('gives the same verdicts call after call', async () => {
    for (let i = 0; i < 3; i++) {
      expect(await problems(Object.assign(new Base(), { n: 3 }))).toEqual([]);
      expect(await problems(Object.assign(new Base(), { n: 11 }))).toEqual([
        'n must not be greater than 10',
      ]);
      expect(await problems(Object.assign(new Base(), { n: 3, x: 1 }))).toEqual([
        'property x should not exist',
      ]);
    }
  });

  it('sees rules of classes defined after it was filled, inherited ones included', async () => {
    expect(await problems(Object.assign(new Base(), { n: 1 }))).toEqual([]);
    class Later extends Base {
      @IsString()
      name!: string;
    }
    expect((await problems(Object.assign(new Later(), { n: 12, name: 4 }))).sort()).toEqual([
      'n must not be greater than 10',
      'name must be a string',
    ]);
    expect(await problems(Object.assign(new Later(), { n: 2, name: 'a' }))).toEqual([]);
  });

  it('forgets what it remembered when a rule is added to a class already validated', async () => {
    class Open {
      @IsInt()
      n!: number;
    }
    expect(await problems(Object.assign(new Open(), { n: 1, label: 2 }))).toEqual([
      'property label should not exist',
    ]);
    IsString()(Open.prototype, 'label');
    expect(await problems(Object.assign(new Open(), { n: 1, label: 2 }))).toEqual([
      'label must be a string',
    ]);
  });
});
