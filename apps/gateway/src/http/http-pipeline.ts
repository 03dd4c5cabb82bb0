import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuditInput, AuditService } from '@vecgate/audit';
import { MetricsService, RequestState, UnavailableError } from '@vecgate/core';
import { Authenticator, RequestBudgets } from '@vecgate/tenancy';
import { GATEWAY_CONFIG } from '../config/config.tokens';
import type { GatewayConfig } from '../config/gateway.config';
import { ExpiryQueue } from './expiry-queue';
import { GatewayRequest } from './fastify-request';
import { BodyBudget } from './body-budget';
import { MemoryGuard } from './memory-guard';
import { answerProblem } from './error-answer';
import { toProblem } from './problem';
import { clientRequestIdOf } from './request-id';
import { RequestLife } from './request-life';
import { RouteMeta } from './route.decorators';
import { countOf, eventOf, reasonOf } from './audit-event';

/** Decorates the Fastify instance, so answers given before routing are audited too. */
export interface RefusalRecorder {
  /** Records the refusal and charges its address; seconds to wait when over its budget. */
  vgRecordRefused(request: FastifyRequest, status: number, reason: string): number;
}

/** Past this, an answer waits one loop turn so that a client that left is seen first. */
const SLOW_ANSWER_MS = 100;

/**
 * Resolves after the loop has polled its sockets once more: the first immediate runs in the
 * current iteration's check phase, the second only after the next poll phase.
 */
const nextTurn = (): Promise<void> =>
  new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

function elapsedMs(state: RequestState): number {
  return Number(process.hrtime.bigint() - state.startedAt) / 1e6;
}

/** The connection is closed or closing: an answer written now reaches no one. */
function socketGone(request: GatewayRequest): boolean {
  const socket = request.raw.socket as { destroyed?: boolean; writableEnded?: boolean } | null;
  return socket === null || socket.destroyed === true || socket.writableEnded === true;
}

/** The request metrics' children of one method, route and status. */
interface RouteMetrics {
  readonly requests: { inc(): void };
  readonly latency: { observe(seconds: number): void };
}

const ROUTE_METRICS_MAX = 1024;

/** Routes served by Fastify plugins rather than controllers, open like `@Public()` ones. */
const PUBLIC_PREFIXES = ['/docs'];

/**
 * The request hooks that frame Nest's pipeline:
 * - onRequest: request state and its signal (aborted when the client goes away, and at
 *   `REQUEST_DEADLINE_MS`, counted from preHandler once the body is in), then authentication
 *   before the body is read, so a request without a valid token is refused without parsing
 *   what it sent; then the memory guard, which refuses heavy routes with 503 while the heap
 *   is near its limit;
 * - preSerialization: how many records the answer carries, for the audit event;
 * - onSend: the single audit point every answer passes (success, guard refusal, framework
 *   error); in durable mode the event is committed before the answer leaves, and a failed
 *   commit turns the answer into a 503 (and a second event records the 503); in async mode it
 *   is queued right after the answer leaves, in the same turn of the event loop (or before,
 *   waiting for room, when the queue is full for its tenant); the answer is
 *   then watched until it is handed to the socket: a client that does not read it within
 *   `SOCKET_WRITE_TIMEOUT_MS` loses its connection;
 * - the socket's close: if the client left before its answer was written, the work is
 *   aborted and the event says 499 `client_closed_request`. If an event was already recorded
 *   (durable mode commits before the answer leaves), this second event corrects it: the
 *   trail's last event for a request id is what the client got;
 * - onResponse: request metrics, labelled by route template (never by tenant).
 */
@Injectable()
export class HttpPipeline implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(HttpPipeline.name);
  private readonly requests;
  private readonly latency;
  private readonly deadlines: ExpiryQueue;
  private readonly writes: ExpiryQueue;
  /**
   * The request metrics' children by method, route template and status, looked up once: a
   * labels object per answer cost about 3 µs. Routes and statuses are few; past the bound a
   * child is looked up per answer as before.
   */
  private readonly routeMetrics = new Map<string, RouteMetrics>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly authenticator: Authenticator,
    private readonly audit: AuditService,
    private readonly budgets: RequestBudgets,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly memory: MemoryGuard,
    private readonly bodies: BodyBudget,
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
    const { deadlineMs, socketWriteTimeoutMs } = config.http;
    this.deadlines = new ExpiryQueue(deadlineMs, Math.min(50, deadlineMs / 10));
    this.writes = new ExpiryQueue(socketWriteTimeoutMs, Math.min(250, socketWriteTimeoutMs / 10));
  }

  onModuleDestroy(): void {
    this.deadlines.stop();
    this.writes.stop();
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const recorder: RefusalRecorder['vgRecordRefused'] = (request, status, reason) =>
      this.recordRefused(request as GatewayRequest, status, reason);
    fastify.decorate('vgRecordRefused', recorder);
    fastify.decorateRequest('vg', null);
    fastify.decorateRequest('vgLife', null);
    fastify.decorateRequest('principal', null);
    fastify.decorateRequest('tenant', null);
    fastify.decorateRequest('scope', null);
    fastify.addHook('onRequest', (request, reply) => {
      this.watchSocket(request as GatewayRequest, reply);
      return this.onRequest(request as GatewayRequest);
    });
    // The deadline bounds the work once the request has arrived whole; receiving it is bounded
    // by REQUEST_TIMEOUT_MS, so the longest a client waits is about the sum of the two.
    fastify.addHook('preHandler', (request, _reply, done) => {
      const { vg, vgLife: life } = request as GatewayRequest;
      if (life && !vg.isPublic && !life.signal.aborted)
        life.deadline = this.deadlines.add(() => life.end('deadline'));
      done();
    });
    fastify.addHook('preSerialization', (request, _reply, payload, done) => {
      const state = (request as GatewayRequest).vg;
      if (state) state.resultCount = countOf(payload);
      done(null, payload);
    });
    fastify.addHook('onSend', (request, reply, payload) =>
      this.onSend(request as GatewayRequest, reply, payload),
    );
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
    const life = new RequestLife();
    request.vgLife = life;
    request.vg = {
      requestId: String(request.id),
      clientRequestId: clientRequestIdOf(request.headers),
      startedAt: process.hrtime.bigint(),
      ip: request.ip,
      action: meta.vgAction ?? 'http.unmatched',
      resource: `${request.method} ${meta.vgResource?.(request) ?? template ?? '(no route)'}`,
      isPublic,
      signal: life.signal,
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
    if (meta.vgHeavy === true && this.memory.pressed) {
      throw new UnavailableError(
        `the gateway is short of memory (heap at ${Math.round(this.memory.usedPercent)}%); retry shortly`,
        1,
        'memory_guard',
      );
    }
    // Room for the body before it is read: held until the request ends (BodyBudget).
    const bytes = this.declaredBodyBytes(request);
    if (bytes > 0) {
      const owner = request.principal.tenantId ?? '(platform)';
      life.releaseBody = this.bodies.admit(owner, bytes);
      // The connection may have closed while authentication waited: its close, which gives
      // the room back, has passed, and no answer will follow.
      if (life.clientClosed || request.raw.socket.destroyed) life.releaseBody();
    }
  }

  /**
   * What a request's body may take: its declared length, or the largest body allowed for one
   * sent in chunks; 0 without a body. A longer declared length is refused (413) by the body
   * limit before any of it is read.
   */
  private declaredBodyBytes(request: GatewayRequest): number {
    const { headers } = request;
    const limit = this.config.http.bodyLimit;
    const length = headers['content-length'];
    if (length !== undefined) return Math.min(Number(length) || 0, limit);
    return headers['transfer-encoding'] !== undefined ? limit : 0;
  }

  private async onSend(
    request: GatewayRequest,
    reply: FastifyReply,
    payload: unknown,
  ): Promise<unknown> {
    void reply.header('x-request-id', request.id);
    const state = request.vg;
    const life = request.vgLife;
    life?.settle();
    if (!state || state.isPublic) return payload;
    // A long request may have kept the event loop from seeing its client leave: one turn of
    // the loop lets a pending close arrive before the event is written.
    if (life && !life.clientClosed && elapsedMs(state) > SLOW_ANSWER_MS) await nextTurn();
    // The client left first: what it got (499) is recorded once, by whichever sees it first.
    if (life?.clientClosed) return payload;
    if (socketGone(request)) {
      this.clientLeft(request);
      return payload;
    }
    const status = reply.statusCode;
    if (status >= 400) await this.budgets.settleRefusal(request, status);
    // Without a verified subject the request was refused (401, or 429 past its address's
    // budget): sampled, so a flood does not pay a commit per request.
    if (life) life.recordedStatus = status;
    const event = eventOf(state, status, state.reason);
    const unauthenticated = state.subject === undefined;
    // Async mode, room in the queue: the event is queued after the answer leaves.
    const later = this.audit.recordAfterAnswer(event, { unauthenticated });
    if (later) {
      if (life) life.recordNow = later;
      this.watchWrite(reply, life);
      return payload;
    }
    const committed = this.audit.record(event, { unauthenticated });
    try {
      await committed;
      this.watchWrite(reply, life);
      return payload;
    } catch (err) {
      this.logger.error(`answer to ${state.requestId} replaced by 503: ${(err as Error).message}`);
      const error =
        err instanceof UnavailableError
          ? err
          : new UnavailableError('the audit store is unavailable');
      const problem = toProblem(error, (request.url ?? '').split('?')[0] ?? '', state.requestId);
      // Answered like every other error, in the request's dialect when it has one.
      const answer = answerProblem(request, reply, problem);
      void reply.header('retry-after', '1');
      // The first event may still land once the store is back: this one says what was sent.
      if (life) life.recordedStatus = 503;
      this.recordLater(
        eventOf(state, 503, `${reasonOf(error)}: the answer (${status}) was replaced`),
        state,
      );
      this.watchWrite(reply, life);
      return answer;
    }
  }

  /**
   * An answer the client does not read stays in the socket's buffers: once it has waited
   * `SOCKET_WRITE_TIMEOUT_MS` without being handed to the socket whole, the connection is
   * dropped, which frees the buffers and reports the request as aborted (499).
   */
  private watchWrite(reply: FastifyReply, life: RequestLife | undefined): void {
    const raw = reply.raw;
    const watch = this.writes.add(() => {
      if (!raw.writableFinished) raw.destroy();
    });
    if (life) life.writeWatch = watch;
  }

  /**
   * Watches the connection until the answer is handed to it whole. The socket, not the
   * response, is watched: a pipelined request whose answer waits behind another never gets a
   * response 'close' when the connection dies, and Node's request abort only covers bodies
   * that had not arrived yet.
   */
  private watchSocket(request: GatewayRequest, reply: FastifyReply): void {
    const socket = request.raw.socket;
    const onClose = (): void => this.onClose(request, reply);
    socket.once('close', onClose);
    reply.raw.once('finish', () => {
      socket.off('close', onClose);
      request.vgLife?.writeWatch?.cancel();
    });
  }

  /**
   * The connection of a request closed. Once its answer was handed to the socket whole, that
   * is the end of it. Otherwise the client left (or was dropped) first: the work is aborted,
   * and since no onSend will record it (or the one that did recorded an answer the client
   * never got), the event says what the client got: 408 when the body never arrived in time,
   * else 499 `client_closed_request`.
   */
  private onClose(request: GatewayRequest, reply: FastifyReply): void {
    request.vgLife?.writeWatch?.cancel();
    request.vgLife?.releaseBody?.();
    if (!reply.raw.writableFinished) this.clientLeft(request);
  }

  /** The client left before its answer reached the socket: abort the work, record it once. */
  private clientLeft(request: GatewayRequest): void {
    const life = request.vgLife;
    if (life) {
      if (life.clientClosed) return;
      life.clientClosed = true;
      life.end('client_closed');
    }
    const state = request.vg;
    if (!state || state.isPublic) return;
    // The event of the answer it did not get comes first, if it still waits to be queued.
    life?.recordNow?.();
    const timedOut =
      !request.raw.complete && elapsedMs(state) >= this.config.http.requestTimeoutMs - 50;
    const reason = timedOut
      ? 'request_timeout: the request was not received in time'
      : life?.recordedStatus !== undefined
        ? `client_closed_request: the answer (${life.recordedStatus}) was not delivered`
        : 'client_closed_request';
    this.recordLater(eventOf(state, timedOut ? 408 : 499, reason), state);
  }

  private recordLater(event: AuditInput, state: RequestState): void {
    void this.audit
      .record(event, { unauthenticated: state.subject === undefined })
      ?.catch((err: Error) =>
        this.logger.error(`event of ${state.requestId} not committed: ${err.message}`),
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
    request.vgLife?.releaseBody?.();
    const route = request.routeOptions.url ?? 'unmatched';
    const { method } = request;
    const status = String(reply.statusCode);
    const key = `${method} ${status} ${route}`;
    let metrics = this.routeMetrics.get(key);
    if (!metrics) {
      metrics = {
        requests: this.requests.labels({ method, route, status }),
        latency: this.latency.labels({ method, route }),
      };
      if (this.routeMetrics.size < ROUTE_METRICS_MAX) this.routeMetrics.set(key, metrics);
    }
    metrics.requests.inc();
    metrics.latency.observe(reply.elapsedTime / 1000);
  }
}
