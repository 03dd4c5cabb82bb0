import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timeOrderedId, TooManyRequestsError } from '@vecgate/core';
import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RefusalRecorder } from './http-pipeline';
import { Problem, ProblemBody, toProblem } from './problem';

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

const REQUEST_ID = Symbol('vecgate.requestId');

type TaggedRequest = IncomingMessage & { [REQUEST_ID]?: string };

/** The answer a socket is writing, as Node keeps it there (`_httpMessage`), and its request. */
type TaggedResponse = ServerResponse & { readonly req: TaggedRequest };

/**
 * Keeps the gateway's id of a request on Node's request object, where the answer to a connection
 * error (a body that never arrives) finds it: that answer then names the request its audit
 * event is about. Returns the id.
 */
export function tagRequestId(raw: IncomingMessage, id: string): string {
  (raw as TaggedRequest)[REQUEST_ID] = id;
  return id;
}

/** A connection's error as Node reports it: `HPE_*` codes for bytes it could not parse. */
export type ConnectionError = Error & { code?: string };

/** The refusal of a `CONNECT` request, which Node hands to no route (it is a proxy's method). */
export const CONNECT_REFUSED: ConnectionError = Object.assign(new Error('CONNECT'), {
  code: 'VG_CONNECT',
});

/**
 * The status of a request Node refused before Fastify had one, as Fastify's default handler
 * answers it: 408 when it did not arrive in time, 431 for headers over Node's limit, 400 for
 * anything else Node could not parse.
 */
function refusalOf(error: ConnectionError): { status: number; detail: string } {
  if (error === CONNECT_REFUSED)
    return { status: 405, detail: 'CONNECT is not served here: vecgate is not a proxy' };
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, detail: 'the request was not received in time' };
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, detail: `the request line and headers exceed ${maxHeaderSize} bytes` };
  return { status: 400, detail: `the request is not valid HTTP (${error.code ?? 'error'})` };
}

/**
 * Answers a connection's error (Node's `clientError`), where no Fastify request exists and no
 * hook runs: in the listener's error shape (`render`, problem+json without one), with a fresh
 * request id unless a request whose body was awaited has one, and `Connection: close`; the
 * socket is closed once the answer is flushed. A refusal that belongs to no request is recorded
 * and charged to the socket's address (behind a proxy, the proxy's) through the pipeline's
 * `vgRecordRefused`, and becomes 429 past the address's budget; a request's own refusal (its body
 * too slow or malformed) is recorded by the pipeline when its connection closes.
 */
export function answerConnectionError(
  fastify: FastifyInstance,
  error: ConnectionError,
  socket: Duplex,
  render?: DialectRenderer,
): void {
  // A reset socket is gone; a parse error repeats for every later chunk of the same bytes, and
  // the first one was answered already.
  if (error.code === 'ECONNRESET' || socket.destroyed || socket.writableEnded) return;
  const inFlight = (socket as Duplex & { _httpMessage?: TaggedResponse | null })._httpMessage;
  // Bytes of an answer already sent: another answer would corrupt it (Node's own rule).
  if (!socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const refusal = refusalOf(error);
  const requestId = inFlight?.req[REQUEST_ID] ?? timeOrderedId();
  const wait = inFlight ? 0 : recordRefused(fastify, socket, requestId, refusal);
  const problem: Problem =
    wait > 0
      ? toProblem(
          new TooManyRequestsError('too many refused requests from this client address', wait),
          '',
          requestId,
        )
      : {
          body: {
            type: 'about:blank',
            title: STATUS_CODES[refusal.status] ?? 'Error',
            status: refusal.status,
            detail: refusal.detail,
            instance: '',
            requestId,
          },
          internal: false,
        };
  const answer = render
    ? render(problem.body, 0)
    : { status: problem.body.status, body: problem.body };
  const text = JSON.stringify(answer.body);
  const head = [
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Error'}`,
    `content-type: ${render ? 'application/json' : 'application/problem+json'}; charset=utf-8`,
    `content-length: ${Buffer.byteLength(text)}`,
    `x-request-id: ${requestId}`,
    ...(problem.retryAfterSeconds !== undefined
      ? [`retry-after: ${problem.retryAfterSeconds}`]
      : []),
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`, () => socket.destroy());
}

/** The pipeline's event of an unroutable request, for one Node refused before parsing it. */
function recordRefused(
  fastify: FastifyInstance,
  socket: Duplex,
  requestId: string,
  refusal: { status: number; detail: string },
): number {
  const record = (fastify as Partial<RefusalRecorder>).vgRecordRefused;
  if (!record) return 0;
  // What the recorder reads of a request: its id, address, headers and method (none parsed).
  const request = {
    id: requestId,
    ip: (socket as Partial<Socket>).remoteAddress ?? 'unknown',
    headers: {},
    method: '-',
  } satisfies Pick<FastifyRequest, 'id' | 'ip' | 'headers' | 'method'>;
  return record(request as FastifyRequest, refusal.status, refusal.detail);
}
