import { parseTierDays, parseTierQuotas } from './tier-quotas';

describe('TIER_QUOTAS', () => {
  it('reads vectors and bytes per tier, sizes with units, and the default for other tiers', () => {
    const problems: string[] = [];
    const policy = parseTierQuotas(
      'TIER_QUOTAS',
      'standard:vectors=100000,bytes=500MB,namespaces=20,metadata=8KB; premium:bytes=2GB,metadata=unlimited ;default:vectors=10,bytes=unlimited',
      problems,
    );
    expect(problems).toEqual([]);
    expect(policy.tiers).toEqual({
      standard: {
        vectors: 100_000,
        bytes: 500 * 1024 ** 2,
        namespaces: 20,
        metadataBytes: 8 * 1024,
      },
      premium: { vectors: null, bytes: 2 * 1024 ** 3, namespaces: 1000, metadataBytes: null },
    });
    expect(policy.fallback).toEqual({
      vectors: 10,
      bytes: null,
      namespaces: 1000,
      metadataBytes: 40 * 1024,
    });
  });

  it('keeps the built-in quota for the tiers not listed when no default is given', () => {
    const problems: string[] = [];
    expect(parseTierQuotas('TIER_QUOTAS', 'gold:vectors=unlimited', problems).fallback).toEqual({
      vectors: 1_000_000,
      bytes: 4 * 1024 ** 3,
      namespaces: 1000,
      metadataBytes: 40 * 1024,
    });
    expect(problems).toEqual([]);
  });

  it.each([
    ['standard=vectors:5', 'must start with a tier name'],
    ['standard:vectors=-1', 'vectors must be a positive number'],
    ['standard:vectors=5MB', 'vectors must be a positive number'],
    ['standard:vectors=0', 'vectors must be a positive number'],
    ['standard:bytes=12XB', 'bytes must be a positive number'],
    ['standard:rows=5', 'unknown limit "rows"'],
    ['standard:namespaces=unlimited', 'namespaces must be a number from 1 to 100000'],
    ['standard:namespaces=0', 'namespaces must be a number from 1 to 100000'],
    ['standard:namespaces=100001', 'namespaces must be a number from 1 to 100000'],
    ['standard:namespaces=5KB', 'namespaces must be a number from 1 to 100000'],
    ['standard:metadata=0', 'metadata must be a positive number'],
    ['standard:metadata=1XB', 'metadata must be a positive number'],
    ['a:vectors=1;a:vectors=2', 'tier "a" is given twice'],
    ['default:vectors=1;default:vectors=2', 'tier "default" is given twice'],
    ['standard:vectors=1,vectors=2', 'vectors is given twice'],
    ['standard:metadata=1KB,bytes=1,metadata=2KB', 'metadata is given twice'],
    [';;', 'no entry'],
    [' ', 'no entry'],
  ])('refuses %j, naming the key', (text, message) => {
    const problems: string[] = [];
    parseTierQuotas('TIER_QUOTAS', text, problems);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^TIER_QUOTAS: /);
    expect(problems[0]).toContain(message);
  });
});

describe('API_KEY_MAX_DAYS', () => {
  it('reads days or unlimited per tier, the default for other tiers, unlimited without one', () => {
    const problems: string[] = [];
    expect(parseTierDays('API_KEY_MAX_DAYS', 'standard:90; premium:unlimited', problems)).toEqual({
      tiers: { standard: 90, premium: null },
      fallback: null,
    });
    expect(parseTierDays('API_KEY_MAX_DAYS', 'default:30;gold:365', problems)).toEqual({
      tiers: { gold: 365 },
      fallback: 30,
    });
    expect(problems).toEqual([]);
  });

  it.each([
    ['standard:0', 'days must be a positive whole number'],
    ['standard:1.5', 'days must be a positive whole number'],
    ['standard:-3', 'days must be a positive whole number'],
    ['standard', 'must start with a tier name'],
    ['default:1;default:2', 'tier "default" is given twice'],
    [';', 'no entry'],
  ])('refuses %s, naming the key', (text, message) => {
    const problems: string[] = [];
    parseTierDays('API_KEY_MAX_DAYS', text, problems);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^API_KEY_MAX_DAYS: /);
    expect(problems[0]).toContain(message);
  });
});
