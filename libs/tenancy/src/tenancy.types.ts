import {
  BackendName,
  makeTenantScope,
  MetricName,
  Placement,
  StrategyName,
  TenantScope,
} from '@vecgate/isolation';

import type { Role } from './roles';

export * from './roles';

/** `provisioning` and `deleting` are transient states that start-up recovery completes. */
export type TenantStatus = 'provisioning' | 'active' | 'suspended' | 'deleting';

export interface Tenant {
  readonly id: string;
  /** Random, immutable, never reused: physical names, stored records and audit use it. */
  readonly uid: string;
  readonly status: TenantStatus;
  readonly tier: string;
  readonly placement: Placement;
  readonly dimension: number;
  readonly metric: MetricName;
  /** When the previous tenant with this id was deleted (epoch ms); older tokens are refused. */
  readonly supersedesDeletedAt: number | null;
  /**
   * The replica (gateway process and its data directory) that holds an embedded tenant's
   * records; null for server backends, which every replica reaches.
   */
  readonly owner: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Set while the tenant moves to another placement (and after a failed move, with its error). */
  readonly migration?: TenantMigration;
}

/**
 * Phases of a move, in order: `announced` (writes reach both places; replicas learn of it),
 * `copying`, `verifying`, `switched` (the tenant lives in the new place; writes still reach the
 * old one), `retiring` (the old place is erased). `cancelling` and `rolling_back` erase the new
 * place; `failed` keeps the reason until the next move.
 */
export const MIGRATION_STATES = [
  'announced',
  'copying',
  'verifying',
  'switched',
  'retiring',
  'cancelling',
  'rolling_back',
  'failed',
] as const;
export type MigrationState = (typeof MIGRATION_STATES)[number];

/** A tier and the placement it stands for. */
export interface TierPlace {
  readonly tier: string;
  readonly placement: Placement;
}

export interface TenantMigration {
  readonly state: MigrationState;
  readonly from: TierPlace;
  readonly to: TierPlace;
  readonly copied: number;
  readonly total: number;
  readonly startedAt: number;
  readonly startedBy: string;
  readonly updatedAt: number;
  readonly error: string | null;
}

/** The place a moving tenant's writes also reach besides its placement, if any. */
export function mirrorOf(migration: TenantMigration | undefined): Placement | undefined {
  switch (migration?.state) {
    case undefined:
    case 'retiring':
    case 'cancelling':
    case 'rolling_back':
    case 'failed':
      return undefined;
    case 'announced':
    case 'copying':
    case 'verifying':
      return migration.to.placement;
    case 'switched':
      return migration.from.placement;
  }
}

/** The scope every store call for this tenant carries, in its default namespace. */
export function scopeOfTenant(tenant: Tenant): TenantScope {
  const known = scopes.get(tenant);
  if (known) return known;
  const scope = makeScopeOfTenant(tenant);
  scopes.set(tenant, scope);
  return scope;
}

/** Scopes already made, per tenant record (records are replaced, never changed in place). */
const scopes = new WeakMap<Tenant, TenantScope>();

function makeScopeOfTenant(tenant: Tenant): TenantScope {
  const mirror = mirrorOf(tenant.migration);
  return makeTenantScope({
    tenantId: tenant.id,
    tenantUid: tenant.uid,
    placement: tenant.placement,
    space: { dimension: tenant.dimension, metric: tenant.metric },
    ...(mirror ? { mirror: scopeAt(tenant, mirror) } : {}),
  });
}

/** Every place that may hold the tenant's records: its placement, and both ends of a move. */
export function placesOf(tenant: Tenant): Placement[] {
  const all = [tenant.placement];
  const m = tenant.migration;
  if (m && m.state !== 'failed') all.push(m.from.placement, m.to.placement);
  const seen = new Set<string>();
  return all.filter((p) => {
    const key = JSON.stringify([p.backend, p.strategy, p.location]);
    return !seen.has(key) && seen.add(key);
  });
}

/** The same tenant's scope in one of its places, with no mirror (the migration's own calls). */
export function scopeAt(tenant: Tenant, placement: Placement, namespace?: string): TenantScope {
  return makeTenantScope({
    tenantId: tenant.id,
    tenantUid: tenant.uid,
    placement,
    space: { dimension: tenant.dimension, metric: tenant.metric },
    ...(namespace !== undefined ? { namespace } : {}),
  });
}

/**
 * The same tenant's scope in another of its namespaces. `namespace` must already be validated
 * (the request layer's namespace rule); the tenant, placement and space never change.
 */
export function scopeInNamespace(scope: TenantScope, namespace: string): TenantScope {
  if (namespace === scope.namespace) return scope;
  return makeTenantScope({
    tenantId: scope.tenantId,
    tenantUid: scope.tenantUid,
    placement: scope.placement,
    space: scope.space,
    namespace,
    ...(scope.mirror ? { mirror: scopeInNamespace(scope.mirror, namespace) } : {}),
  });
}

export interface TenantSpec {
  readonly id: string;
  readonly tier?: string;
  readonly backend?: BackendName;
  readonly strategy?: StrategyName;
  readonly dimension: number;
  readonly metric: MetricName;
}

export type PrincipalKind = 'tenant' | 'platform';

/** Who calls, built only from a verified token. */
export interface Principal {
  readonly kind: PrincipalKind;
  readonly subject: string;
  /** Set for tenant principals only. */
  readonly tenantId?: string;
  /** Set when the token was minted by vecgate for one tenant incarnation. */
  readonly tenantUid?: string;
  readonly roles: readonly Role[];
  readonly tokenId?: string;
  /** Set when the credential is a tenant API key (`subject` is then `key:<apiKeyId>`). */
  readonly apiKeyId?: string;
  /** Subject of the principal that minted this token (minted tokens only). */
  readonly mintedBy?: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly issuer: 'builtin' | 'external';
}
