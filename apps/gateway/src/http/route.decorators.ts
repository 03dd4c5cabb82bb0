import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { PublicAccess, Roles, TenantAdminOf } from '@vecgate/tenancy';
import type { FastifyRequest } from 'fastify';

/**
 * The concrete path a request acts on, for its audit resource, or undefined to keep the route
 * template. Read as the request arrives, so refusals before the handler name it too; it must
 * put only checked caller text (a validated name) into the trail.
 */
export type ResourcePath = (request: FastifyRequest) => string | undefined;

/** Fastify route config read by the request hooks, before Nest's own pipeline runs. */
export interface RouteMeta {
  vgPublic?: boolean;
  vgAction?: string;
  /** Changes nothing: past its deadline it is answered 504 at once (GET routes always are). */
  vgReadOnly?: boolean;
  /** Costs memory or CPU in proportion to its input: refused while the memory guard is on. */
  vgHeavy?: boolean;
  /** The audit resource's path, in place of the route template. */
  vgResource?: ResourcePath;
}

/** How a route weighs on the process, for the deadline and the memory guard. */
export interface RouteTraits {
  readonly readOnly?: boolean;
  readonly heavy?: boolean;
}

/** Open without a token and not audited (health). Deny-by-default applies everywhere else. */
export const Public = (): MethodDecorator =>
  applyDecorators(PublicAccess(), RouteConfig({ vgPublic: true } satisfies RouteMeta));

/**
 * Names the route's audit action (`vectors.search`), how it weighs on the process and, when
 * given, the concrete path its audit events name.
 */
export const Audited = (
  action: string,
  traits: RouteTraits = {},
  resource?: ResourcePath,
): MethodDecorator =>
  RouteConfig({
    vgAction: action,
    ...(traits.readOnly ? { vgReadOnly: true } : {}),
    ...(traits.heavy ? { vgHeavy: true } : {}),
    ...(resource ? { vgResource: resource } : {}),
  } satisfies RouteMeta);

/**
 * An admin route about the tenant in its `:id`: platform_admin, or tenant_admin of that same
 * tenant (checked before any lookup), audited under `action`.
 */
export const TenantAdminRoute = (action: string): MethodDecorator =>
  applyDecorators(Roles('platform_admin', 'tenant_admin'), TenantAdminOf('id'), Audited(action));
