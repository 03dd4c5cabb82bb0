import type { FastifyRequest } from 'fastify';
import type { RequestState } from '@vecgate/core';
import type { TenantRequest } from '@vecgate/tenancy';
import type { RequestLife } from './request-life';

/** The Fastify request as vecgate's pipeline sees it. */
export type GatewayRequest = FastifyRequest &
  TenantRequest & {
    vg: RequestState;
    /** The pipeline's own bookkeeping (deadline, abort); unset only before onRequest. */
    vgLife?: RequestLife;
  };
