import type { FastifyRequest } from 'fastify';
import type { RequestState } from '@vecgate/core';
import type { TenantRequest } from '@vecgate/tenancy';

/** The Fastify request as vecgate's pipeline sees it. */
export type GatewayRequest = FastifyRequest & TenantRequest & { vg: RequestState };
