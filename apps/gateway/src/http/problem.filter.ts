import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GatewayRequest } from './fastify-request';
import { toProblem } from './problem';

/**
 * The one exception filter: every error, from a controller, a guard, the framework (body too
 * large, bad JSON, unknown route) or the early authentication hook, becomes
 * `application/problem+json` with the request id, and its reason is kept for the audit event.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<GatewayRequest>();
    const reply = http.getResponse<FastifyReply>();
    const instance = (request.url ?? '').split('?')[0] ?? '';
    const problem = toProblem(exception, instance, String(request.id ?? ''));
    const { body } = problem;
    if (request.vg) {
      request.vg.reason = body.reason ? `${body.reason}: ${body.detail}` : body.detail;
      if (body.reason === 'tenant_bypass_attempt') request.vg.alert = true;
    }
    if (problem.internal) {
      this.logger.error(
        {
          requestId: body.requestId,
          err:
            exception instanceof Error
              ? { message: exception.message, stack: exception.stack }
              : exception,
        },
        'unhandled error',
      );
    }
    if (reply.sent) return;
    void reply
      .status(body.status)
      .header('content-type', 'application/problem+json; charset=utf-8');
    if (problem.retryAfterSeconds !== undefined)
      void reply.header('retry-after', String(problem.retryAfterSeconds));
    if (body.status === 401) void reply.header('www-authenticate', 'Bearer');
    void reply.send(JSON.stringify(body));
  }
}
