import type { ExecutionContext, Type } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Role } from '../tenancy.types';
import {
  CROSS_TENANT_KEY,
  IS_PUBLIC_KEY,
  ROLES_KEY,
  TARGET_TENANT_PARAM_KEY,
  TENANT_ADMIN_PARAM_KEY,
} from './access.decorators';

/** What a route's decorators say about who may call it. */
export interface RouteAccess {
  readonly isPublic: boolean;
  /** `TenantAdminOf`: the path parameter naming the tenant an admin route is about. */
  readonly adminOfParam?: string;
  /** The path parameter naming a target tenant (the admin one, else `TargetTenant`). */
  readonly targetParam?: string;
  /** Roles admitted; none admits nobody. */
  readonly roles: readonly Role[];
  readonly crossTenant: boolean;
}

/** Read once per handler and class: decorators do not change after start-up. */
const known = new WeakMap<object, WeakMap<object, RouteAccess>>();

/** The access a route declares, as its guards read it on every request. */
export function routeAccess(reflector: Reflector, context: ExecutionContext): RouteAccess {
  const handler = context.getHandler();
  const owner: Type<unknown> = context.getClass();
  let byClass = known.get(handler);
  const cached = byClass?.get(owner);
  if (cached) return cached;
  const targets = [handler, owner];
  const adminOfParam = reflector.get<string | undefined>(TENANT_ADMIN_PARAM_KEY, handler);
  const access: RouteAccess = {
    isPublic: Boolean(reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets)),
    adminOfParam,
    targetParam:
      adminOfParam ??
      reflector.getAllAndOverride<string | undefined>(TARGET_TENANT_PARAM_KEY, targets),
    roles: reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [],
    crossTenant: Boolean(reflector.get<boolean | undefined>(CROSS_TENANT_KEY, handler)),
  };
  if (!byClass) known.set(handler, (byClass = new WeakMap()));
  byClass.set(owner, access);
  return access;
}
