import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { RequestState } from '@vecgate/core';
import type { TenantScope } from '@vecgate/isolation';
import type { RequestTrace } from '@vecgate/search';
import type { Principal, Tenant } from '@vecgate/tenancy';
import { GatewayRequest } from './fastify-request';
import { inRequestedNamespace, NamespaceSource, requestedNamespace } from './namespace-scope';

function request(context: ExecutionContext): GatewayRequest {
  return context.switchToHttp().getRequest<GatewayRequest>();
}

/**
 * The caller's tenant scope, resolved by TenantGuard from the token, never from input. With a
 * source, in the namespace the request names there (400 for a bad or reserved name).
 */
export const Scope = createParamDecorator(
  (from: NamespaceSource | undefined, context: ExecutionContext): TenantScope => {
    const req = request(context);
    const scope = req.scope;
    if (!scope) throw new Error('tenant-plane route reached without a tenant scope');
    if (from === undefined) return scope;
    const field = from === 'path' ? 'name' : 'namespace';
    return inRequestedNamespace(req.vg, scope, requestedNamespace(req, from), field);
  },
);

/** The caller's tenant, resolved with the scope. */
export const CurrentTenant = createParamDecorator(
  (_: unknown, context: ExecutionContext): Tenant => {
    const tenant = request(context).tenant;
    if (!tenant) throw new Error('tenant-plane route reached without a tenant');
    return tenant;
  },
);

/** The tier of the caller's tenant (for its storage quota), resolved with the scope. */
export const TenantTier = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const tenant = request(context).tenant;
  if (!tenant) throw new Error('tenant-plane route reached without a tenant');
  return tenant.tier;
});

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal => {
    const principal = request(context).principal;
    if (!principal) throw new Error('authenticated route reached without a principal');
    return principal;
  },
);

/** Request id, subject, address and deadline signal, for the use case and its audit events. */
export const Trace = createParamDecorator((_: unknown, context: ExecutionContext): RequestTrace =>
  traceOf(request(context).vg),
);

export function traceOf(vg: RequestState): RequestTrace {
  return {
    requestId: vg.requestId,
    clientRequestId: vg.clientRequestId,
    subject: vg.subject,
    mintedBy: vg.mintedBy,
    ip: vg.ip,
    signal: vg.signal,
  };
}

/** The request state, for admin routes that record the tenant they resolved. */
export const RequestStateParam = createParamDecorator(
  (_: unknown, context: ExecutionContext) => request(context).vg,
);
