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
}

/** The scope every store call for this tenant carries, in its default namespace. */
export function scopeOfTenant(tenant: Tenant): TenantScope {
  return makeTenantScope({
    tenantId: tenant.id,
    tenantUid: tenant.uid,
    placement: tenant.placement,
    space: { dimension: tenant.dimension, metric: tenant.metric },
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
