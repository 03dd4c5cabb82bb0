// Kept free of imports so the command-line tools can load it without the gateway's libraries.

export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const TENANT_ROLES = ['reader', 'writer', 'tenant_admin'] as const;
export const PLATFORM_ROLES = ['platform_admin', 'auditor', 'cross_tenant_admin'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];
export type PlatformRole = (typeof PLATFORM_ROLES)[number];
export type Role = TenantRole | PlatformRole;

export function isTenantRole(role: string): role is TenantRole {
  return (TENANT_ROLES as readonly string[]).includes(role);
}

export function isPlatformRole(role: string): role is PlatformRole {
  return (PLATFORM_ROLES as readonly string[]).includes(role);
}
