import { UnprocessableError, VecgateError } from '@vecgate/core';
import { DEFAULT_PLACEMENT_POLICY, PlacementPolicy, PlacementRule } from './placement-policy';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the call to throw');
}

function errorOf(fn: () => unknown): VecgateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VecgateError) return err;
    throw err;
  }
  throw new Error('expected the call to throw');
}

describe('PlacementPolicy.parse', () => {
  it('parses the default policy into one rule per tier', () => {
    expect([...PlacementPolicy.parse(DEFAULT_PLACEMENT_POLICY)]).toEqual([
      ['enterprise', { backend: 'embedded', strategy: 'database' }],
      ['premium', { backend: 'embedded', strategy: 'collection' }],
      ['standard', { backend: 'embedded', strategy: 'partition_key' }],
    ]);
  });

  it('tolerates blanks around entries and empty entries', () => {
    expect([
      ...PlacementPolicy.parse(' gold=milvus:database , ,silver-2=qdrant:partition_key,'),
    ]).toEqual([
      ['gold', { backend: 'milvus', strategy: 'database' }],
      ['silver-2', { backend: 'qdrant', strategy: 'partition_key' }],
    ]);
  });

  it.each([
    'enterprise',
    'enterprise=embedded',
    'enterprise:embedded:database',
    '=embedded:database',
  ])('refuses the malformed entry %j, naming it', (entry) => {
    const message = messageOf(() =>
      PlacementPolicy.parse(`standard=embedded:partition_key,${entry}`),
    );
    expect(message).toContain(`"${entry}"`);
    expect(message).toContain('tier=backend:strategy');
  });

  it('refuses an unknown backend, naming the entry and the backend', () => {
    const message = messageOf(() => PlacementPolicy.parse('a=embedded:database,b=mongo:database'));
    expect(message).toContain('"b=mongo:database"');
    expect(message).toContain('"mongo"');
  });

  it('refuses an unknown strategy, naming the entry and the strategy', () => {
    const message = messageOf(() => PlacementPolicy.parse('a=embedded:shard'));
    expect(message).toContain('"a=embedded:shard"');
    expect(message).toContain('"shard"');
  });

  it.each(['Gold', '1gold', 'gold tier', 'g'.repeat(33)])(
    'refuses the tier name %j, naming it',
    (tier) => {
      const message = messageOf(() => PlacementPolicy.parse(`${tier}=embedded:database`));
      expect(message).toContain(`"${tier}"`);
    },
  );

  it('refuses a tier that appears twice, naming it', () => {
    const message = messageOf(() =>
      PlacementPolicy.parse('gold=embedded:database,gold=embedded:collection'),
    );
    expect(message).toContain('"gold"');
    expect(message).toContain('twice');
  });

  it.each(['', ' ', ',, ,'])('refuses a policy without entries (%j)', (text) => {
    expect(messageOf(() => PlacementPolicy.parse(text))).toContain('no entries');
  });
});

describe('PlacementPolicy.resolve', () => {
  const rules = new Map<string, PlacementRule>([
    ['enterprise', { backend: 'milvus', strategy: 'database' }],
    ['standard', { backend: 'embedded', strategy: 'partition_key' }],
  ]);
  const policy = new PlacementPolicy(rules, 'standard');

  it('lists its rules', () => {
    expect(policy.entries()).toEqual([...rules.entries()]);
  });

  it("applies the tier's rule", () => {
    expect(policy.resolve({ tier: 'enterprise' })).toEqual({
      tier: 'enterprise',
      backend: 'milvus',
      strategy: 'database',
    });
  });

  it('applies the default tier when none is given', () => {
    expect(policy.resolve({})).toEqual({
      tier: 'standard',
      backend: 'embedded',
      strategy: 'partition_key',
    });
  });

  it('lets an explicit backend and strategy win over the tier rule', () => {
    expect(
      policy.resolve({ tier: 'enterprise', backend: 'embedded', strategy: 'collection' }),
    ).toEqual({ tier: 'enterprise', backend: 'embedded', strategy: 'collection' });
    expect(policy.resolve({ backend: 'qdrant', strategy: 'collection' })).toEqual({
      tier: 'standard',
      backend: 'qdrant',
      strategy: 'collection',
    });
  });

  it("fills in only what the request left out: a strategy keeps the tier's backend", () => {
    expect(policy.resolve({ tier: 'standard', strategy: 'database' })).toEqual({
      tier: 'standard',
      backend: 'embedded',
      strategy: 'database',
    });
    expect(policy.resolve({ tier: 'enterprise', backend: 'milvus' })).toEqual({
      tier: 'enterprise',
      backend: 'milvus',
      strategy: 'database',
    });
  });

  it("answers 422 on the strategy field for a backend other than the tier's without a strategy", () => {
    const err = errorOf(() => policy.resolve({ tier: 'standard', backend: 'milvus' }));
    expect(err).toBeInstanceOf(UnprocessableError);
    expect(err.status).toBe(422);
    expect(err.extras.field).toBe('strategy');
  });

  it('answers 422 on the tier field for an unknown tier, listing the known tiers', () => {
    for (const request of [
      { tier: 'platinum' },
      { tier: 'platinum', strategy: 'database' as const },
    ]) {
      const err = errorOf(() => policy.resolve(request));
      expect(err).toBeInstanceOf(UnprocessableError);
      expect(err.status).toBe(422);
      expect(err.extras.field).toBe('tier');
      expect(err.message).toContain('"platinum"');
      expect(err.message).toContain('enterprise, standard');
    }
  });

  it('answers 422 when the default tier itself has no rule', () => {
    const err = errorOf(() => new PlacementPolicy(rules, 'missing').resolve({}));
    expect(err.status).toBe(422);
    expect(err.extras.field).toBe('tier');
  });
});
