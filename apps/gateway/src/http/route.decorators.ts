import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { PublicAccess } from '@vecgate/tenancy';

/** Fastify route config read by the request hooks, before Nest's own pipeline runs. */
export interface RouteMeta {
  vgPublic?: boolean;
  vgAction?: string;
}

/** Open without a token and not audited (health). Deny-by-default applies everywhere else. */
export const Public = (): MethodDecorator =>
  applyDecorators(PublicAccess(), RouteConfig({ vgPublic: true } satisfies RouteMeta));

/** Names the route's audit action (`vectors.search`). */
export const Audited = (action: string): MethodDecorator =>
  RouteConfig({ vgAction: action } satisfies RouteMeta);
