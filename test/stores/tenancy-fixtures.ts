import { randomBytes } from 'node:crypto';
import type { TenancyOptions, Tenant } from '@vecgate/tenancy';

/** Epoch milliseconds past 2^32, so a column that is not really 64-bit would show. */
export const T0 = 1_767_225_600_123;

/** Tenancy options for registry tests, with the cache bound under test. */
export function options(cacheTtlMs: number): TenancyOptions {
  return {
    hmacKeys: [{ kid: 'k1', secret: 'a-test-secret-of-at-least-32-bytes!!' }],
    issuer: 'vecgate',
    audience: 'vecgate',
    tenantClaim: 'tenant',
    rolesClaim: 'roles',
    clockToleranceSeconds: 5,
    maxTokenTtlSeconds: 3600,
    cacheTtlMs,
    replicaId: 'replica-a',
    deleteGraceMs: 0,
    migrationRecordsPerSecond: 1_000_000,
    migrationLockConnections: 2,
    rateLimitPerSecond: 0,
    rateLimitBurst: 0,
    unauthenticatedPerSecond: 0,
    unauthenticatedBurst: 1,
    apiKeyMaxDays: { tiers: {}, fallback: null },
  };
}

export function newUid(): string {
  return randomBytes(16).toString('hex');
}

export function tenant(id: string, overrides: Partial<Tenant> = {}): Tenant {
  const uid = overrides.uid ?? newUid();
  return {
    id,
    uid,
    status: 'active',
    tier: 'standard',
    placement: {
      backend: 'embedded',
      strategy: 'database',
      location: { file: `tenants/${uid}.db`, note: 'ünïcode, "quotes" and \\ backslash' },
    },
    dimension: 1536,
    metric: 'cosine',
    supersedesDeletedAt: null,
    owner: 'replica-a',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}
