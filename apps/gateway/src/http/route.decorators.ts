import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { PublicAccess, Roles, TenantAdminOf } from '@vecgate/tenancy';
import type { ProblemBody } from './problem';

/** A dialect's error answer for a problem: its own status and JSON body. */
export type DialectError = (problem: ProblemBody) => { status: number; body: unknown };

/** Fastify route config read by the request hooks, before Nest's own pipeline runs. */
export interface RouteMeta {
  vgPublic?: boolean;
  vgAction?: string;
  /** Changes nothing: past its deadline it is answered 504 at once (GET routes always are). */
  vgReadOnly?: boolean;
  /** Costs memory or CPU in proportion to its input: refused while the memory guard is on. */
  vgHeavy?: boolean;
  /** Errors of this route are answered in a dialect's shape rather than problem+json. */
  vgDialectError?: DialectError;
}

/** How a route weighs on the process, for the deadline and the memory guard. */
export interface RouteTraits {
  readonly readOnly?: boolean;
  readonly heavy?: boolean;
}

/** Open without a token and not audited (health). Deny-by-default applies everywhere else. */
export const Public = (): MethodDecorator =>
  applyDecorators(PublicAccess(), RouteConfig({ vgPublic: true } satisfies RouteMeta));

/** Names the route's audit action (`vectors.search`) and how it weighs on the process. */
export const Audited = (
  action: string,
  traits: RouteTraits = {},
  dialectError?: DialectError,
): MethodDecorator =>
  RouteConfig({
    vgAction: action,
    ...(traits.readOnly ? { vgReadOnly: true } : {}),
    ...(traits.heavy ? { vgHeavy: true } : {}),
    ...(dialectError ? { vgDialectError: dialectError } : {}),
  } satisfies RouteMeta);

/**
 * An admin route about the tenant in its `:id`: platform_admin, or tenant_admin of that same
 * tenant (checked before any lookup), audited under `action`.
 */
export const TenantAdminRoute = (action: string): MethodDecorator =>
  applyDecorators(Roles('platform_admin', 'tenant_admin'), TenantAdminOf('id'), Audited(action));
