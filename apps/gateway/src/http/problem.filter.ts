import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { answerProblem } from './error-answer';
import { GatewayRequest } from './fastify-request';
import { toProblem } from './problem';

/**
 * The one exception filter: every error, from a controller, a guard, the framework (body too
 * large, bad JSON, unknown route) or the early authentication hook, becomes
 * `application/problem+json` with the request id, and its reason is kept for the audit event.
 * A dialect's request (see `answerProblem`) is answered in that dialect's shape and statuses
 * instead, so its clients read the error as they would from the product they speak to.
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
      request.vg.reason = auditReason(body);
      if (body.reason === 'tenant_bypass_attempt') request.vg.alert = true;
    }
    if (problem.internal && !reply.raw.destroyed) {
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
    } else if (!problem.internal && request.vg?.isPublic) {
      // Public routes (/docs) leave no audit event: a refusal there is logged, as a client's
      // fault, and counted in the request metrics.
      this.logger.debug({ requestId: body.requestId, status: body.status }, 'refused');
    }
    // The client is gone (a body cut off by the request timeout, a dropped connection): there
    // is no one to answer, and the abort hook has recorded the attempt.
    if (reply.sent || reply.raw.destroyed) return;
    void reply.send(answerProblem(request, reply, problem));
  }
}

/**
 * The reason kept in the audit trail. Details of client errors can echo input (record ids,
 * metadata), which must not outlive a tenant's erasure, so only the reason code and the field
 * are kept for them; refusals of access (401, 403, 429) and server errors carry only our text.
 */
function auditReason(body: {
  status: number;
  title: string;
  detail: string;
  reason?: string;
  field?: string;
}): string {
  const code = body.reason ?? body.title.toLowerCase().replace(/\s+/g, '_');
  const ownText =
    body.status === 401 || body.status === 403 || body.status === 429 || body.status >= 500;
  if (ownText) return `${code}: ${body.detail}`;
  // Paths below metadata or a filter name the caller's own keys: keep only where they start.
  const field = body.field?.replace(/(metadata|filter)[.[].*$/, '$1…');
  return field ? `${code} (${field})` : code;
}
