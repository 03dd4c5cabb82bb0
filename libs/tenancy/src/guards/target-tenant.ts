import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@vecgate/core';
import { Tenant } from '../tenancy.types';
import { TenantRequest } from './tenant-request';

/** A tenant for the admin plane: any status but a transient one; 404 otherwise. */
export function existingTenant(id: string, tenant: Tenant | undefined): Tenant {
  if (!tenant || tenant.status === 'provisioning')
    throw new NotFoundError(`tenant ${id} does not exist`);
  return tenant;
}

/** A tenant that exists and is not being deleted; 404 or 409 otherwise. */
export function liveTenant(id: string, tenant: Tenant | undefined): Tenant {
  const existing = existingTenant(id, tenant);
  if (existing.status === 'deleting') throw new ConflictError(`tenant ${id} is being deleted`);
  return existing;
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
