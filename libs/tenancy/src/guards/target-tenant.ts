import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@vecgate/core';
import { Tenant, TENANT_ID_PATTERN } from '../tenancy.types';
import { TenantRequest } from './tenant-request';

/** A tenant for the admin plane: any status but a transient one; 404 otherwise. */
export function existingTenant(id: string, tenant: Tenant | undefined): Tenant {
  if (!tenant || tenant.status === 'provisioning') throw noSuchTenant(id);
  return tenant;
}

/**
 * 404 for a tenant id no tenant has. The id is repeated only when it is well formed: a path
 * may carry control or bidirectional characters, which an answer does not echo.
 */
export function noSuchTenant(id: string): NotFoundError {
  return new NotFoundError(
    TENANT_ID_PATTERN.test(id)
      ? `tenant ${id} does not exist`
      : 'no tenant has this id, which is not a well-formed tenant id',
  );
}

/** A tenant that exists and is not being deleted; 404 or 409 otherwise. */
export function liveTenant(id: string, tenant: Tenant | undefined): Tenant {
  const existing = existingTenant(id, tenant);
  if (existing.status === 'deleting') throw new ConflictError(`tenant ${id} is being deleted`);
  return existing;
}

/**
 * 409 while the tenant moves (a failed move no longer does): its tier and placement are the
 * move's until it has finished or been cancelled.
 */
export function assertNotMoving(tenant: Tenant): void {
  const state = tenant.migration?.state;
  if (state !== undefined && state !== 'failed')
    throw new ConflictError(`tenant ${tenant.id} is already moving (${state}); cancel it first`);
}

function targetOf(context: ExecutionContext, need: typeof existingTenant): Tenant {
  const request = context.switchToHttp().getRequest<TenantRequest>();
  if (request.targetId === undefined) {
    throw new Error('a target tenant is read on a route without @TargetTenant or @TenantAdminOf');
  }
  return need(request.targetId, request.target);
}

/**
 * The tenant named by the route's path (`@TargetTenant` / `@TenantAdminOf`), as TenantGuard
 * read it once after the rights check, for the handler and the audit event alike; 404 when
 * it does not exist.
 */
export const TargetTenantRecord = createParamDecorator(
  (_: unknown, context: ExecutionContext): Tenant => targetOf(context, existingTenant),
);

/** Like `TargetTenantRecord`, and 409 when the tenant is being deleted. */
export const LiveTargetTenant = createParamDecorator(
  (_: unknown, context: ExecutionContext): Tenant => targetOf(context, liveTenant),
);
