import { createHmac, hkdfSync } from 'node:crypto';
import { UnauthorizedError } from '@vecgate/core';
import { ApiKeyRecord } from '../registry/api-key-rows';
import { RevocationList } from '../registry/revocation-list';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';
import { TenancyOptions } from '../tenancy.options';
import { ApiKeyUsage } from './api-key-usage';
import {
  API_KEY_HKDF_LABEL,
  API_KEY_PATTERN,
  ApiKeyFormat,
  CHECKED_KEYS_MAX,
} from './api-key.format';
import { API_KEY_CACHE_SIZE, ApiKeyVerifier } from './api-key.verifier';

const JWT_SECRET = 'a-jwt-secret-of-at-least-thirty-two-chars';

function options(overrides: Partial<TenancyOptions> = {}): TenancyOptions {
  return {
    hmacKeys: [{ kid: 'k1', secret: JWT_SECRET }],
    issuer: 'vecgate',
    audience: 'vecgate',
    tenantClaim: 'tenant_id',
    rolesClaim: 'roles',
    clockToleranceSeconds: 5,
    maxTokenTtlSeconds: 3600,
    cacheTtlMs: 60_000,
    deleteGraceMs: 0,
    migrationRecordsPerSecond: 1_000_000,
    migrationLockConnections: 2,
    replicaId: 'r',
    rateLimitPerSecond: 0,
    rateLimitBurst: 0,
    unauthenticatedPerSecond: 0,
    unauthenticatedBurst: 0,
    apiKeyMaxDays: { tiers: {}, fallback: null },
    ...overrides,
  };
}

describe('ApiKeyFormat', () => {
  const format = new ApiKeyFormat(options());

  it('issues keys in the documented, scanner-friendly format, each different', () => {
    const keys = Array.from({ length: 50 }, () => format.issue());
    for (const issued of keys) {
      expect(issued.key).toMatch(API_KEY_PATTERN);
      expect(issued.key.startsWith(`vgk_${issued.id}_`)).toBe(true);
      expect(issued.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(issued.hash).not.toContain(issued.key.slice(29, 49));
    }
    expect(new Set(keys.map((k) => k.key)).size).toBe(50);
    expect(new Set(keys.map((k) => k.id)).size).toBe(50);
  });

  it('hashes with HMAC-SHA256 under a key derived from the first JWT secret by HKDF', () => {
    const issued = format.issue();
    const derived = Buffer.from(
      hkdfSync('sha256', Buffer.from(JWT_SECRET), Buffer.alloc(0), API_KEY_HKDF_LABEL, 32),
    );
    const secret = Buffer.from(issued.key.slice(29), 'base64url').subarray(0, 32);
    expect(createHmac('sha256', derived).update(issued.id).update(secret).digest('hex')).toBe(
      issued.hash,
    );
    const presented = format.check(issued.key);
    expect(presented?.id).toBe(issued.id);
    expect(ApiKeyFormat.matches(presented!, issued.hash)).toBe(true);
  });

  it('refuses every altered, truncated or extended key on its check alone', () => {
    const { key } = format.issue();
    const altered: string[] = [key.slice(0, -1), `${key}A`, key.toUpperCase()];
    for (let i = 4; i < key.length; i++) {
      if (key[i] === '_') continue;
      const other = key[i] === 'a' ? 'b' : 'a';
      altered.push(key.slice(0, i) + other + key.slice(i + 1));
    }
    for (const candidate of altered) expect(format.check(candidate)).toBeUndefined();
  });

  it('does not accept keys of another secret: API_KEY_SECRET replaces the derived one', () => {
    const own = new ApiKeyFormat(options({ apiKeySecret: 'x'.repeat(32) }));
    const { key } = format.issue();
    expect(own.check(key)).toBeUndefined();
    expect(own.check(own.issue().key)).toBeDefined();
    // The same secret on another replica accepts the same keys.
    expect(new ApiKeyFormat(options()).check(key)).toBeDefined();
  });

  it('pays the HMAC of a good key once, of a failing key every time, within a bound', () => {
    const checker = new ApiKeyFormat(options());
    const hmacs = jest.spyOn(checker as unknown as { digest(): Buffer }, 'digest');
    const { key, hash } = format.issue();
    const first = checker.check(key);
    expect(checker.check(key)).toBe(first);
    expect(ApiKeyFormat.matches(first!, hash)).toBe(true);
    expect(hmacs).toHaveBeenCalledTimes(1);
    const guessed = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    expect(checker.check(guessed)).toBeUndefined();
    expect(checker.check(guessed)).toBeUndefined();
    expect(hmacs).toHaveBeenCalledTimes(3);
    // Past the bound the oldest key is forgotten, and checked in full again when it returns.
    for (let i = 0; i < CHECKED_KEYS_MAX; i++) checker.check(format.issue().key);
    hmacs.mockClear();
    expect(checker.check(key)).toEqual(first);
    expect(hmacs).toHaveBeenCalledTimes(1);
  });
});

describe('ApiKeyVerifier', () => {
  function setup(cacheTtlMs = 60_000) {
    const format = new ApiKeyFormat(options());
    const rows = new Map<string, ApiKeyRecord>();
    const find = jest.fn((id: string) => Promise.resolve(rows.get(id)));
    const repository = { apiKeys: { find } } as unknown as TenantRegistryRepository;
    const revoked = new Set<string>();
    const revocations = { isRevoked: (id: string) => revoked.has(id) } as RevocationList;
    const used = jest.fn();
    const usage = { used } as unknown as ApiKeyUsage;
    const verifier = new ApiKeyVerifier(
      format,
      repository,
      revocations,
      usage,
      options({ cacheTtlMs }),
    );
    const add = (overrides: Partial<ApiKeyRecord> = {}): string => {
      const issued = format.issue();
      rows.set(issued.id, {
        id: issued.id,
        tenantUid: 'u'.repeat(32),
        tenantId: 'acme',
        name: 'k',
        roles: ['reader'],
        keyHash: issued.hash,
        createdBy: 'acme-ops',
        lineage: [],
        createdAt: 1_700_000_000,
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null,
        ...overrides,
      });
      return issued.key;
    };
    return { verifier, find, rows, revoked, used, add, format };
  }

  const reasonOf = async (promise: Promise<unknown>): Promise<string | undefined> => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnauthorizedError);
    return (err as UnauthorizedError).extras.reason;
  };

  it('builds a tenant principal key:<id> with the key’s roles and creator', async () => {
    const { verifier, add, used } = setup();
    const key = add({ roles: ['reader', 'writer'] });
    const principal = await verifier.verify(key);
    const id = key.slice(4, 28);
    expect(principal).toMatchObject({
      kind: 'tenant',
      subject: `key:${id}`,
      tenantId: 'acme',
      tenantUid: 'u'.repeat(32),
      roles: ['reader', 'writer'],
      apiKeyId: id,
      mintedBy: 'acme-ops',
    });
    expect(principal.tokenId).toBeUndefined();
    expect(used).toHaveBeenCalledWith(id, expect.any(Number));
  });

  it('refuses a guessed or altered key without reading the registry', async () => {
    const { verifier, add, find } = setup();
    const key = add();
    const guesses = [
      `vgk_${key.slice(4, 28)}_${'A'.repeat(56)}`,
      key.slice(0, -2) + (key.endsWith('AA') ? 'BB' : 'AA'),
      'vgk_0123',
      'not a key',
    ];
    for (const guess of guesses)
      expect(await reasonOf(verifier.verify(guess))).toBe('api_key_invalid');
    expect(find).not.toHaveBeenCalled();
  });

  it('reads a real key once per cache period, and refuses it once revoked anywhere', async () => {
    const { verifier, add, find, revoked } = setup();
    const key = add();
    for (let i = 0; i < 5; i++) await verifier.verify(key);
    expect(find).toHaveBeenCalledTimes(1);
    revoked.add(key.slice(4, 28));
    expect(await reasonOf(verifier.verify(key))).toBe('api_key_revoked');
  });

  it('refuses revoked, expired and erased keys, and a key whose stored hash differs', async () => {
    const { verifier, add, rows } = setup(100);
    const now = Math.floor(Date.now() / 1000);
    expect(await reasonOf(verifier.verify(add({ revokedAt: now - 1 })))).toBe('api_key_revoked');
    expect(await reasonOf(verifier.verify(add({ expiresAt: now })))).toBe('api_key_expired');
    const erased = add();
    rows.delete(erased.slice(4, 28));
    expect(await reasonOf(verifier.verify(erased))).toBe('api_key_invalid');
    const rehashed = add({ keyHash: 'ab'.repeat(32) });
    expect(await reasonOf(verifier.verify(rehashed))).toBe('api_key_invalid');
  });

  it('keeps at most API_KEY_CACHE_SIZE keys in memory', async () => {
    const { verifier, add, find } = setup();
    const first = add();
    await verifier.verify(first);
    for (let i = 0; i < API_KEY_CACHE_SIZE; i++) await verifier.verify(add());
    expect(find).toHaveBeenCalledTimes(API_KEY_CACHE_SIZE + 1);
    // The first key was evicted: using it again reads the registry again.
    await verifier.verify(first);
    expect(find).toHaveBeenCalledTimes(API_KEY_CACHE_SIZE + 2);
  });
});
