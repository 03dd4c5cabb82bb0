import { ForbiddenError, UnauthorizedError } from '@vecgate/core';
import { Principal, Tenant } from '../tenancy.types';

/**
 * The tenant a verified tenant principal acts for, or the refusal: unknown or deleted (401),
 * a token of an earlier tenant with the same id (401), suspended (403).
 */
export function admitTenant(principal: Principal, tenant: Tenant | undefined): Tenant {
  const own = tenantOfToken(principal, tenant);
  if (own.status === 'suspended')
    throw new ForbiddenError('the tenant is suspended', 'tenant_suspended');
  return own;
}

/**
 * The tenant a verified tenant principal's credential belongs to, suspended or not: the one
 * whose audit trail its requests land in. 401 when it names no live tenant or an earlier
 * tenant of the same id.
 */
export function tenantOfToken(principal: Principal, tenant: Tenant | undefined): Tenant {
  if (!tenant || tenant.status === 'provisioning' || tenant.status === 'deleting') {
    throw new UnauthorizedError('the token names a tenant that does not exist', 'tenant_unknown');
  }
  if (principal.tenantUid !== undefined && principal.tenantUid !== tenant.uid) {
    throw new UnauthorizedError('the token belongs to a deleted tenant', 'token_superseded');
  }
  if (
    principal.tenantUid === undefined &&
    tenant.supersedesDeletedAt !== null &&
    principal.issuedAt * 1000 <= tenant.supersedesDeletedAt
  ) {
    throw new UnauthorizedError(
      'the token was issued before its tenant id was deleted',
      'token_superseded',
    );
  }
  return tenant;
}
