import { Principal } from '../tenancy.types';
import { VerifiedTokens } from './verified-tokens';

const NOW = 1_800_000_000_000;

function principal(expiresInSeconds: number): Principal {
  return {
    kind: 'tenant',
    subject: 's',
    roles: ['reader'],
    tenantId: 't',
    issuedAt: NOW / 1000,
    expiresAt: NOW / 1000 + expiresInSeconds,
    issuer: 'builtin',
  };
}

describe('VerifiedTokens', () => {
  it('answers a remembered token until its exp, then forgets it', () => {
    const tokens = new VerifiedTokens();
    const p = principal(10);
    tokens.remember('Bearer a', p, NOW);
    expect(tokens.get('Bearer a', NOW + 9_999)).toBe(p);
    expect(tokens.get('Bearer a', NOW + 10_000)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('keeps an entry at most a minute, however long the token lives', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('Bearer a', principal(3600), NOW);
    expect(tokens.get('Bearer a', NOW + 59_999)).toBeDefined();
    expect(tokens.get('Bearer a', NOW + 60_000)).toBeUndefined();
  });

  it('does not keep expired or very long tokens', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('Bearer a', principal(0), NOW);
    tokens.remember(`Bearer ${'x'.repeat(3000)}`, principal(10), NOW);
    expect(tokens.size).toBe(0);
  });

  it('stays bounded, forgetting the oldest first', () => {
    const tokens = new VerifiedTokens();
    for (let i = 0; i < 5000; i++) tokens.remember(`Bearer ${i}`, principal(10), NOW);
    expect(tokens.size).toBe(4096);
    expect(tokens.get('Bearer 0', NOW)).toBeUndefined();
    expect(tokens.get('Bearer 4999', NOW)).toBeDefined();
  });

  it('forgets a token on demand', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('Bearer a', principal(10), NOW);
    tokens.forget('Bearer a');
    expect(tokens.get('Bearer a', NOW)).toBeUndefined();
  });
});
