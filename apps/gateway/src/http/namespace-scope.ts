import type { RequestState } from '@vecgate/core';
import { DEFAULT_NAMESPACE, TenantScope } from '@vecgate/isolation';
import { namespaceName } from '@vecgate/search';
import { scopeInNamespace } from '@vecgate/tenancy';
import { GatewayRequest } from './fastify-request';

/** Where a route takes its namespace from: the body's `namespace`, `?namespace=`, or `{name}`. */
export type NamespaceSource = 'body' | 'query' | 'path';

/**
 * The scope of a call in the namespace its request names (checked by the namespace rule). A
 * named namespace is recorded in the audit event's resource as `?namespace=<name>` after the
 * route, so a tenant's trail says where each call acted; the default namespace adds nothing.
 */
export function inRequestedNamespace(
  state: RequestState,
  scope: TenantScope,
  raw: unknown,
  field: string,
): TenantScope {
  const namespace = namespaceName(raw, field);
  if (namespace !== DEFAULT_NAMESPACE) state.resource = `${state.resource}?namespace=${namespace}`;
  return scopeInNamespace(scope, namespace);
}

export function requestedNamespace(request: GatewayRequest, from: NamespaceSource): unknown {
  switch (from) {
    case 'body': {
      const body: unknown = request.body;
      return typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>).namespace
        : undefined;
    }
    case 'query':
      return (request.query as Record<string, unknown> | undefined)?.namespace;
    case 'path':
      return (request.params as Record<string, unknown> | undefined)?.name;
  }
}
