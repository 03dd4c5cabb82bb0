import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  StreamableFile,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DeadlineExceededError, VecgateError } from '@vecgate/core';
import { abandonOnAbort } from '@vecgate/isolation';
import { defer, from, Observable } from 'rxjs';
import { GATEWAY_CONFIG } from '../config/config.tokens';
import type { GatewayConfig } from '../config/gateway.config';
import { streamIfLarge, whenDelivered } from './answer-stream';
import { countOf } from './audit-event';
import { GatewayRequest } from './fastify-request';
import { RouteMeta } from './route.decorators';
import { TenantInflight } from './tenant-inflight';

/**
 * Around every handler, once the guards have resolved the tenant:
 * - the tenant's in-flight cap: over `TENANT_MAX_INFLIGHT` the tenant gets 429 with
 *   Retry-After (only that tenant; the others have their own count); the slot is held until
 *   the handler's work settles, not merely until an answer was sent, and a large answer's
 *   until it was delivered or its connection closed;
 * - large answers (search matches with many values) are streamed a match at a time, so an
 *   answer nobody reads is not built, and building one does not hold the event loop;
 * - the deadline: a read whose work has not finished when `REQUEST_DEADLINE_MS` passes is
 *   answered 504 at once, even if the backend ignores the aborted signal. A write is answered
 *   with its real outcome (the backend stops at the signal, or reports the commit it made),
 *   so a committed write is never reported as failed.
 */
@Injectable()
export class RequestGovernor implements NestInterceptor {
  readonly inflight: TenantInflight;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.inflight = new TenantInflight(config.http.tenantMaxInflight);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const handled = (): Promise<unknown> =>
      new Promise<unknown>((resolve, reject) => {
        next
          .handle()
          .subscribe({ next: resolve, error: reject, complete: () => resolve(undefined) });
      });
    return defer(() =>
      from(
        this.govern(http.getRequest<GatewayRequest>(), http.getResponse<FastifyReply>(), handled),
      ),
    );
  }

  /** The same, around a handler's work given as a function (the lean route handlers). */
  govern(request: GatewayRequest, reply: FastifyReply, run: () => unknown): Promise<unknown> {
    const tenant = request.tenant?.uid;
    if (tenant !== undefined && !this.inflight.tryAcquire(tenant)) {
      return Promise.reject(new TenantBusyError(this.inflight.max));
    }
    const signal = request.vg?.signal;
    const work = new Promise<unknown>((resolve) => resolve(run())).catch((err: unknown) => {
      throw asDeadline(err, signal);
    });
    // A large answer is streamed; its slot is held until it was delivered or its connection
    // closed, so answers a tenant does not read count against its own cap.
    const answer = work.then((value) => {
      const streamed = streamIfLarge(value);
      // A handler may stream its own answer (and count it); a streamed search counts here.
      if (streamed instanceof StreamableFile && streamed !== value && request.vg)
        request.vg.resultCount = countOf(value);
      return streamed;
    });
    // Handled here too: an abandoned read's work may still fail after its 504 was sent.
    answer.catch(() => undefined);
    if (tenant !== undefined) {
      const release = (): void => this.inflight.release(tenant);
      answer.then((value) => {
        if (value instanceof StreamableFile)
          whenDelivered(value, reply.raw, request.raw.socket, release);
        else release();
      }, release);
    }
    const meta = (request.routeOptions.config ?? {}) as RouteMeta;
    const readOnly = request.method === 'GET' || meta.vgReadOnly === true;
    // A read is abandoned at the deadline: its answer becomes the 504, the work may go on.
    return readOnly && signal ? abandonOnAbort({ signal }, () => answer) : answer;
  }
}

/** The tenant already has its cap of requests in flight: 429 to it alone, retry in a second. */
export class TenantBusyError extends VecgateError {
  readonly status = 429;
  readonly title = 'Too Many Requests';
  constructor(max: number) {
    super(`the tenant already has ${max} requests in flight`, {
      retryAfterSeconds: 1,
      reason: 'inflight_cap',
    });
  }
}

/**
 * A backend that stopped at the aborted signal may throw the SDK's own abort error; past the
 * deadline the client is told it was the deadline, never a 500.
 */
function asDeadline(err: unknown, signal: AbortSignal | undefined): Error {
  const error = err instanceof Error ? err : new Error(String(err));
  if (error instanceof VecgateError || !signal?.aborted) return error;
  return signal.reason instanceof DeadlineExceededError ? signal.reason : error;
}
