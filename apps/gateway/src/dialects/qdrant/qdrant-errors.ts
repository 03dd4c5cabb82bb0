import type { FastifyReply, FastifyRequest } from 'fastify';
import { isQdrantRequest } from './qdrant-listener.constraint';

/** Seconds since the request arrived, as Qdrant's envelopes report it in `time`. */
export function elapsedSeconds(reply: FastifyReply): number {
  return Math.round(reply.elapsedTime) / 1000;
}

/**
 * The pipeline answers refusals as problem+json; Qdrant clients read `{status: {error}}`. The
 * status stays (the client retries nothing, and 4xx refusals stay 4xx), except a backend's
 * failure (502), which Qdrant reports as 500.
 */
export function answerInQdrantShape(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): unknown {
  if (!isQdrantRequest(request.raw)) return payload;
  const type = String(reply.getHeader('content-type') ?? '');
  if (!type.startsWith('application/problem+json') || typeof payload !== 'string') return payload;
  let problem: { title?: unknown; detail?: unknown; field?: unknown };
  try {
    problem = JSON.parse(payload) as typeof problem;
  } catch {
    return payload;
  }
  const field = typeof problem.field === 'string' ? ` (${problem.field})` : '';
  const title = typeof problem.title === 'string' ? problem.title : 'Error';
  const detail = typeof problem.detail === 'string' ? problem.detail : '';
  const error = `${title}: ${detail}${field}`;
  if (reply.statusCode === 502) void reply.code(500);
  void reply.header('content-type', 'application/json; charset=utf-8');
  reply.removeHeader('www-authenticate');
  return JSON.stringify({ status: { error }, time: elapsedSeconds(reply) });
}
