import { SetMetadata } from '@nestjs/common';
import { Role } from '../tenancy.types';

export const IS_PUBLIC_KEY = 'vecgate:public';
export const ROLES_KEY = 'vecgate:roles';
export const TENANT_ADMIN_PARAM_KEY = 'vecgate:tenantAdminParam';
export const CROSS_TENANT_KEY = 'vecgate:crossTenant';
export const TARGET_TENANT_PARAM_KEY = 'vecgate:targetTenantParam';

/** Marks a route as open without a token. The app's `@Public()` wraps this. */
export const PublicAccess = (): MethodDecorator & ClassDecorator =>
  SetMetadata(IS_PUBLIC_KEY, true);

/** Any one of these roles admits the caller. A route without roles admits nobody. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);

/** The route acts on the tenant named by this path parameter (recorded as the audit target). */
export const TargetTenant = (param: string): MethodDecorator & ClassDecorator =>
  SetMetadata(TARGET_TENANT_PARAM_KEY, param);

/**
 * The route acts on the tenant named by this path parameter: platform_admin may, and so may a
 * tenant_admin of that same tenant. Checked before any lookup, so an outsider gets 403 whether
 * or not the tenant exists.
 */
export const TenantAdminOf = (param: string): MethodDecorator =>
  SetMetadata(TENANT_ADMIN_PARAM_KEY, param);

/** The route reaches into another tenant's data: every use is audited at alert level. */
export const CrossTenant = (): MethodDecorator => SetMetadata(CROSS_TENANT_KEY, true);
