import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  Delete,
  Get,
  HttpCode,
  Post,
} from '@nestjs/common';
import type { TenantScope } from '@vecgate/isolation';
import type { RequestTrace } from '@vecgate/search';
import { Roles } from '@vecgate/tenancy';
import { GatewayRequest } from '../../http/fastify-request';
import { traceOf } from '../../http/request.decorators';
import { Audited, RouteTraits } from '../../http/route.decorators';
import { pineconePath } from './pinecone-resource';

type Role = Parameters<typeof Roles>[0];

/** What every data-plane call acts with: the tenant's scope and tier, the index, the trace. */
export interface DataCallContext {
  readonly scope: TenantScope;
  readonly tier: string;
  readonly index: string;
  readonly trace: RequestTrace;
  /** The API version the client speaks (`X-Pinecone-Api-Version`, `2025-01` for SDK 5). */
  readonly apiVersion: string;
  /** Records how many records a streamed answer carries, for its audit event. */
  readonly countAnswer: (records: number) => void;
}

/**
 * A data-plane route: `GET`, `POST` (answering 200, as Pinecone does) or `DELETE` (202) at `path` under the
 * index's host, for `role`, audited as `pinecone.<call>` under its concrete path.
 */
export const DataRoute = (
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  role: Role,
  call: string,
  traits: RouteTraits = {},
): MethodDecorator =>
  applyDecorators(
    ...routeOf(method, path),
    Roles(role),
    Audited(`pinecone.${call}`, traits, pineconePath),
  );

function routeOf(method: 'GET' | 'POST' | 'DELETE', path: string): MethodDecorator[] {
  switch (method) {
    case 'GET':
      return [Get(path)];
    case 'POST':
      return [Post(path), HttpCode(200)];
    case 'DELETE':
      return [Delete(path), HttpCode(202)];
  }
}

/** The context of a data-plane call. */
export const DataCall = createParamDecorator(
  (_: unknown, context: ExecutionContext): DataCallContext => {
    const req = context.switchToHttp().getRequest<GatewayRequest>();
    const { scope, tenant, vg } = req;
    if (!scope || !tenant) throw new Error('tenant-plane route reached without a tenant scope');
    const param = (req.params as Record<string, unknown>).index;
    const index = typeof param === 'string' ? param : '';
    return {
      scope,
      tier: tenant.tier,
      index,
      trace: traceOf(vg),
      apiVersion: String(req.headers['x-pinecone-api-version'] ?? ''),
      countAnswer: (records) => void (vg.resultCount = records),
    };
  },
);
