import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuditInput, AuditService } from '@vecgate/audit';
import { MetricsService, RequestState, UnavailableError } from '@vecgate/core';
import { Authenticator, RequestBudgets } from '@vecgate/tenancy';
import { GATEWAY_CONFIG } from '../config/config.tokens';
import type { GatewayConfig } from '../config/gateway.config';
import { GatewayRequest } from './fastify-request';
import { toProblem } from './problem';
import { clientRequestIdOf } from './request-id';
import { RouteMeta } from './route.decorators';

/** Decorates the Fastify instance, so answers given before routing are audited too. */
export interface RefusalRecorder {
  /** Records the refusal and charges its address; seconds to wait when over its budget. */
  vgRecordRefused(request: FastifyRequest, status: number, reason: string): number;
}

/** Routes served by Fastify plugins rather than controllers, open like `@Public()` ones. */
const PUBLIC_PREFIXES = ['/docs'];

/**
 * The request hooks that frame Nest's pipeline:
 * - onRequest: request state, then authentication before the body is read, so a request
 *   without a valid token is refused without parsing what it sent;
 * - preSerialization: how many records the answer carries, for the audit event;
 * - onSend: the single audit point every answer passes (success, guard refusal, framework
 *   error); in durable mode the event is committed before the answer leaves, and a failed
 *   commit turns the answer into a 503;
 * - onResponse: request metrics, labelled by route template (never by tenant).
 */
@Injectable()
export class HttpPipeline implements OnModuleInit {
  private readonly logger = new Logger(HttpPipeline.name);
  private readonly requests;
  private readonly latency;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly authenticator: Authenticator,
    private readonly audit: AuditService,
    private readonly budgets: RequestBudgets,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    metrics: MetricsService,
  ) {
    this.requests = metrics.counter(
      'vecgate_http_requests_total',
      'HTTP requests by route and status',
      ['method', 'route', 'status'],
    );
    this.latency = metrics.histogram(
      'vecgate_http_request_duration_seconds',
      'HTTP request latency by route',
      ['method', 'route'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    );
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const recorder: RefusalRecorder['vgRecordRefused'] = (request, status, reason) =>
      this.recordRefused(request as GatewayRequest, status, reason);
    fastify.decorate('vgRecordRefused', recorder);
    fastify.decorateRequest('vg', null);
    fastify.decorateRequest('principal', null);
    fastify.decorateRequest('tenant', null);
    fastify.decorateRequest('scope', null);
    fastify.addHook('onRequest', (request, _reply) => this.onRequest(request as GatewayRequest));
    fastify.addHook('preSerialization', (request, _reply, payload, done) => {
      const state = (request as GatewayRequest).vg;
      if (state) state.resultCount = countOf(payload);
      done(null, payload);
    });
    fastify.addHook('onSend', (request, reply, payload) =>
      this.onSend(request as GatewayRequest, reply, payload),
    );
    // A request that never completes (client gone, body not received in time) gets no answer
    // through onSend; its event is recorded here so the attempt is still in the trail.
    fastify.addHook('onRequestAbort', (request, done) => {
      this.onAbort(request as GatewayRequest);
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      this.onResponse(request as GatewayRequest, reply);
      done();
    });
  }

  private async onRequest(request: GatewayRequest): Promise<void> {
    const meta = (request.routeOptions.config ?? {}) as RouteMeta;
    const template = request.routeOptions.url;
    const isPublic =
      meta.vgPublic === true ||
      PUBLIC_PREFIXES.some((p) => template !== undefined && template.startsWith(p));
    request.vg = {
      requestId: String(request.id),
      clientRequestId: clientRequestIdOf(request.headers),
      startedAt: process.hrtime.bigint(),
      ip: request.ip,
      action: meta.vgAction ?? 'http.unmatched',
      resource: template ? `${request.method} ${template}` : `${request.method} (no route)`,
      isPublic,
    };
    if (isPublic) return;
    try {
      const principal = await this.authenticator.authenticate(request.raw);
      request.principal = principal;
      request.vg.subject = principal.subject;
      request.vg.mintedBy = principal.mintedBy;
      request.vg.tenantId = principal.tenantId;
    } catch (err) {
      request.vg.claimedTenant = this.authenticator.claimedTenant(request.raw);
      throw this.budgets.refuseUnattributed(request, err as Error);
    }
  }

  private async onSend(
    request: GatewayRequest,
    reply: FastifyReply,
    payload: unknown,
  ): Promise<unknown> {
    void reply.header('x-request-id', request.id);
    const state = request.vg;
    if (!state || state.isPublic) return payload;
    const status = reply.statusCode;
    void this.budgets.chargeRefusal(request, status);
    // Without a verified subject the request was refused (401, or 429 past its address's
    // budget): sampled, so a flood does not pay a commit per request.
    const committed = this.audit.record(eventOf(state, status, state.reason), {
      unauthenticated: state.subject === undefined,
    });
    try {
      await committed;
      return payload;
    } catch (err) {
      this.logger.error(`answer to ${state.requestId} replaced by 503: ${(err as Error).message}`);
      const error =
        err instanceof UnavailableError
          ? err
          : new UnavailableError('the audit store is unavailable');
      const problem = toProblem(error, (request.url ?? '').split('?')[0] ?? '', state.requestId);
      void reply
        .code(503)
        .header('content-type', 'application/problem+json; charset=utf-8')
        .header('retry-after', '1');
      return JSON.stringify(problem.body);
    }
  }

  private onAbort(request: GatewayRequest): void {
    const state = request.vg;
    if (!state || state.isPublic) return;
    const elapsedMs = Number(process.hrtime.bigint() - state.startedAt) / 1e6;
    const timedOut = elapsedMs >= this.config.http.requestTimeoutMs - 50;
    const reason = timedOut
      ? 'request_timeout: the request was not received in time'
      : 'client_closed_request';
    void this.audit
      .record(eventOf(state, timedOut ? 408 : 499, reason), {
        unauthenticated: state.subject === undefined,
      })
      ?.catch((err: Error) =>
        this.logger.error(`abort event of ${state.requestId} not committed: ${err.message}`),
      );
  }

  /** The event of a request Fastify refused before routing (no hook runs for it). */
  private recordRefused(request: GatewayRequest, status: number, reason: string): number {
    const wait = this.budgets.chargeUnroutable(request.ip);
    const state: RequestState = {
      requestId: String(request.id),
      clientRequestId: clientRequestIdOf(request.headers),
      startedAt: process.hrtime.bigint(),
      ip: request.ip,
      action: 'http.invalid_request',
      resource: `${request.method} (unroutable)`,
    };
    const answered = wait > 0 ? { status: 429, reason: 'rate_limited' } : { status, reason };
    void this.audit
      .record(eventOf(state, answered.status, answered.reason), { unauthenticated: true })
      ?.catch((err: Error) =>
        this.logger.error(`event of ${state.requestId} not committed: ${err.message}`),
      );
    return wait;
  }

  private onResponse(request: GatewayRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route };
    this.requests.inc({ ...labels, status: String(reply.statusCode) });
    this.latency.observe(labels, reply.elapsedTime / 1000);
  }
}

/** The audit event of a request, from what the pipeline learned about it. */
function eventOf(state: RequestState, status: number, reason: string | undefined): AuditInput {
  return {
    requestId: state.requestId,
    clientRequestId: state.clientRequestId,
    subject: state.subject,
    mintedBy: state.mintedBy,
    tenantUid: state.tenantUid,
    tenantId: state.tenantId,
    claimedTenant: state.claimedTenant,
    targetTenant: state.targetTenant,
    targetTenantUid: state.targetTenantUid,
    action: state.action,
    resource: state.resource,
    outcome: status < 400 ? 'allowed' : status >= 500 ? 'error' : 'denied',
    status,
    reason,
    resultCount: status < 400 ? state.resultCount : undefined,
    latencyMs: Number(process.hrtime.bigint() - state.startedAt) / 1e6,
    ip: state.ip,
    severity: state.alert ? 'alert' : 'info',
  };
}

/** How many records an answer carries: matches, items, upserted or deleted, else one. */
function countOf(result: unknown): number {
  if (result === undefined || result === null) return 0;
  if (typeof result !== 'object') return 1;
  const r = result as Record<string, unknown>;
  if (Array.isArray(r.matches)) return r.matches.length;
  if (Array.isArray(r.items)) return r.items.length;
  if (typeof r.upserted === 'number') return r.upserted;
  if (typeof r.deleted === 'number') return r.deleted;
  return 1;
}
