import { applyDecorators, HttpCode } from '@nestjs/common';
import { RouteConstraints } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { Roles, TENANT_ROLES, TenantRole } from '@vecgate/tenancy';
import { Audited, Public, RouteTraits } from '../../http/route.decorators';
import { elapsedSeconds } from './qdrant-errors';
import { LISTENER_CONSTRAINT, QDRANT_LISTENER } from './qdrant-listener.constraint';

/** Where the Qdrant listener's requests enter the shared router; the main port cannot. */
export const QDRANT_PREFIX = '/qdrant';

/**
 * A route of the Qdrant API: served only to the Qdrant listener, answered 200, audited as
 * `qdrant.<call>` under the same roles and traits as the v1 route it translates.
 */
export const QdrantRoute = (
  call: string,
  role: TenantRole | readonly TenantRole[],
  traits: RouteTraits = {},
): MethodDecorator =>
  applyDecorators(
    RouteConstraints({ [LISTENER_CONSTRAINT]: QDRANT_LISTENER }),
    HttpCode(200),
    Roles(...(typeof role === 'string' ? [role] : role)),
    Audited(`qdrant.${call}`, traits),
  );

/**
 * Collection metadata is any tenant role's to read: clients (LangChain before every write)
 * list collections with whatever key they hold, a writer-only key included.
 */
export const ANY_TENANT_ROLE = TENANT_ROLES;

/** The version check clients make at construction: open, like health, and not audited. */
export const QdrantPublicRoute = (): MethodDecorator =>
  applyDecorators(RouteConstraints({ [LISTENER_CONSTRAINT]: QDRANT_LISTENER }), Public());

/** Qdrant's success envelope. */
export interface QdrantAnswer<T> {
  result: T;
  status: 'ok';
  time: number;
}

export function ok<T>(reply: FastifyReply, result: T): QdrantAnswer<T> {
  return { result, status: 'ok', time: elapsedSeconds(reply) };
}
