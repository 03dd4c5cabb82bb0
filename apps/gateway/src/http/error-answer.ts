import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Problem, ProblemBody } from './problem';

/** A dialect's answer to an error: its own status and JSON body. */
export interface DialectAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** Renders a problem in a dialect's shape; `elapsedMs` is the time since the request arrived. */
export type DialectRenderer = (problem: ProblemBody, elapsedMs: number) => DialectAnswer;

/**
 * Chooses the renderer of a request's errors from where the request arrived (a listener, a path
 * prefix), never from its route, so errors raised before routing take the same shape; undefined
 * when the request is not this dialect's.
 */
export type ErrorDialect = (request: FastifyRequest) => DialectRenderer | undefined;

const DIALECTS = Symbol('vecgate.errorDialects');

type WithDialects = FastifyInstance & { [DIALECTS]?: ErrorDialect[] };

/**
 * Registers a dialect's choice of renderer on the root instance, before any route exists; the
 * routes' encapsulated instances inherit it.
 */
export function addErrorDialect(fastify: FastifyInstance, dialect: ErrorDialect): void {
  const root = fastify as WithDialects;
  root[DIALECTS] = [...(root[DIALECTS] ?? []), dialect];
}

function rendererOf(request: FastifyRequest): DialectRenderer | undefined {
  for (const dialect of (request.server as WithDialects)[DIALECTS] ?? []) {
    const renderer = dialect(request);
    if (renderer) return renderer;
  }
  return undefined;
}

/**
 * The one way an error is answered, whatever raised it (a controller, a guard, a hook, the
 * framework before routing, a failed audit commit): sets the status and headers on the reply and
 * returns the body to send. A dialect's request gets its product's shape and status; any other
 * gets `application/problem+json` with vecgate's `Bearer` challenge on a 401.
 */
export function answerProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: Problem,
): string {
  if (problem.retryAfterSeconds !== undefined)
    void reply.header('retry-after', String(problem.retryAfterSeconds));
  const render = rendererOf(request);
  if (render) {
    const answer = render(problem.body, reply.elapsedTime);
    void reply.code(answer.status).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(answer.body);
  }
  void reply
    .code(problem.body.status)
    .header('content-type', 'application/problem+json; charset=utf-8');
  if (problem.body.status === 401) void reply.header('www-authenticate', 'Bearer');
  return JSON.stringify(problem.body);
}
