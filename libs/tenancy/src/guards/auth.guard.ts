import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthorizedError } from '@vecgate/core';
import { TENANT_ID_PATTERN } from '../tenancy.types';
import { routeAccess } from './route-access';
import { TenantRequest } from './tenant-request';

/**
 * Global, deny by default: every route needs a verified principal holding one of the route's
 * roles unless it is explicitly public, and a route that declares no roles admits nobody.
 * Rights over a target tenant are checked from the token alone, before any lookup.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const access = routeAccess(this.reflector, context);
    if (access.isPublic) return true;
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const principal = request.principal;
    if (!principal) throw new UnauthorizedError('missing bearer token', 'token_missing');

    const { adminOfParam, targetParam, roles } = access;
    const target = targetParam === undefined ? undefined : request.params?.[targetParam];
    // Only a well-formed id is recorded as such; anything else is recorded as invalid.
    if (target !== undefined) {
      request.targetId = target;
      request.vg.targetTenant = TENANT_ID_PATTERN.test(target) ? target : '(invalid tenant id)';
      // A tenant's token aimed at another tenant's admin route is a cross-tenant attempt.
      if (principal.kind === 'tenant' && principal.tenantId !== target) request.vg.alert = true;
    }

    if (!roles.some((role) => principal.roles.includes(role))) {
      throw new ForbiddenError(
        roles.length === 0
          ? 'this route admits no role'
          : `requires one of the roles: ${roles.join(', ')}`,
        'role_missing',
      );
    }

    if (adminOfParam !== undefined) {
      const isPlatformAdmin = principal.roles.includes('platform_admin');
      const isOwnTenantAdmin =
        principal.kind === 'tenant' &&
        principal.roles.includes('tenant_admin') &&
        principal.tenantId === target;
      if (!isPlatformAdmin && !isOwnTenantAdmin) {
        throw new ForbiddenError('no rights over this tenant', 'cross_tenant_attempt');
      }
    }
    if (access.crossTenant) request.vg.alert = true;
    return true;
  }
}
