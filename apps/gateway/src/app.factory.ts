import { HttpException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import {
  BadRequestError,
  heavyTurn,
  timeOrderedId,
  TooManyRequestsError,
  UnsupportedMediaTypeError,
} from '@vecgate/core';
import { AppModule } from './app.module';
import { GatewayConfig } from './config/gateway.config';
import { setupSwagger } from './docs/swagger';
import type {
  ConnectionError,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { RefusalRecorder } from './http/http-pipeline';
import { limitConnections } from './http/connection-limits';
import { toProblem } from './http/problem';
import {
  answerConnectionError,
  answerProblem,
  CONNECT_REFUSED,
  tagRequestId,
} from './http/error-answer';
import { jsonShapeRefusal, MAX_BODY_DEPTH, MAX_KEY_LENGTH } from './http/json-shape';
import { preparePineconeDialect } from './dialects/pinecone';
import { prepareQdrantDialect } from './dialects/qdrant';
import { installLeanAsyncResourceBind } from './runtime/async-resource-bind';
import { installValidationMetadataCache } from './runtime/validation-metadata-cache';
import { serveLeanRoutes } from './http/lean-routes';

/** Bodies longer than this are parsed in a later turn of the event loop than their shape pass. */
const PARSE_APART_CHARS = 1 << 20;

/** A quoted JSON key and its colon, any letter of it possibly a `\u` escape. */
const keyPattern = (name: string): string =>
  `"${[...name].map((c) => `(?:${c}|\\\\u00${c.charCodeAt(0).toString(16)})`).join('')}"\\s*:`;

/** The keys secure-json-parse looks for before it looks at a parsed body's prototype keys. */
const PROTOTYPE_KEY = new RegExp(`${keyPattern('__proto__')}|${keyPattern('constructor')}`, 'i');

/**
 * The refusal naming the prototype key of a body Fastify's parser refused as "not valid JSON"
 * though it is: a `__proto__` key, or a `constructor` object with a `prototype` key, at any
 * depth (what secure-json-parse refuses). Undefined when the text is not valid JSON.
 */
function prototypeKeyRefusal(text: string): BadRequestError | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
  const has = (node: object, key: string): boolean =>
    Object.prototype.hasOwnProperty.call(node, key);
  const pending: object[] = typeof parsed === 'object' && parsed !== null ? [parsed] : [];
  for (let node = pending.pop(); node; node = pending.pop()) {
    if (has(node, '__proto__')) {
      return new BadRequestError('the JSON body holds a "__proto__" key, which is refused', 'body');
    }
    const held: unknown = has(node, 'constructor')
      ? (node as { constructor: unknown }).constructor
      : undefined;
    if (typeof held === 'object' && held !== null && has(held, 'prototype')) {
      return new BadRequestError(
        'the JSON body holds a "constructor" object with a "prototype" key, which is refused',
        'body',
      );
    }
    for (const value of Object.values(node) as unknown[]) {
      if (typeof value === 'object' && value !== null) pending.push(value);
    }
  }
  return undefined;
}

/** Fastify with the body limit and timeouts from configuration and safe JSON parsing. */
export function createAdapter(config: GatewayConfig): FastifyAdapter {
  installLeanAsyncResourceBind();
  installValidationMetadataCache();
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimit,
    trustProxy: config.http.trustProxy,
    // A request must arrive whole within requestTimeout (slow bodies get 408); an idle
    // keep-alive socket is closed a little later, so the 408 can still be written.
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.requestTimeoutMs + 5000,
    // An idle keep-alive connection is closed after keepAliveTimeout; headers must arrive
    // within headersTimeout, so a client that trickles them cannot hold a descriptor long.
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    // Node checks request timeouts every connectionsCheckingInterval (30 s by default), which
    // would let a slow body hold its connection far past REQUEST_TIMEOUT_MS.
    // Node reads requestTimeout when the server is constructed, so it goes here too.
    http: {
      requestTimeout: config.http.requestTimeoutMs,
      headersTimeout: config.http.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.http.requestTimeoutMs / 2),
    },
    routerOptions: { maxParamLength: 8192 },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Requests Fastify refuses before routing (a malformed URL, an over-long path parameter)
    // still get their error answer (problem+json, or their dialect's shape) and their events.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const refused = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      const reason = refused === 414 ? 'the path is too long' : 'the path is not a valid URL';
      // No hook runs for these answers: the pipeline records their event itself, and charges
      // the client address, which past its budget gets 429 instead.
      const wait =
        (request.server as Partial<RefusalRecorder>).vgRecordRefused?.(request, refused, reason) ??
        0;
      const answer =
        wait > 0
          ? new TooManyRequestsError('too many refused requests from this client address', wait)
          : new HttpException(reason, refused);
      const problem = toProblem(answer, '', String(request.id));
      // No onSend hook runs here: the answer takes its dialect's shape from the request itself.
      void reply.header('x-request-id', String(request.id));
      void reply.send(answerProblem(request, reply, problem));
    },
    // Requests Node refuses before Fastify has one (headers over Node's limit, bytes that are
    // not HTTP, headers or a body not received in time) get problem+json too, whatever their
    // path: the request line may be what failed to parse, so no dialect is chosen.
    clientErrorHandler: answerClientError,
    // The gateway's own id, the audit key: a client's x-request-id is kept apart
    // (clientRequestId), since clients can repeat or imitate ids. Time-ordered, so the audit
    // key index grows at its end instead of taking each event on a random page.
    genReqId: (raw: IncomingMessage) => tagRequestId(raw, timeOrderedId()),
    // The gateway has no Nest middleware: without middie, no request runs its empty chain.
    skipMiddie: true,
  });
  const fastify = adapter.getInstance();
  // Node passes a CONNECT to its 'connect' listeners only, and closes the socket without one:
  // it is answered 405 in problem+json, audited and charged like other refused requests.
  fastify.server.on('connect', (_request: IncomingMessage, socket: Socket) =>
    answerConnectionError(fastify, CONNECT_REFUSED, socket),
  );
  limitConnections(fastify.server, {
    maxConnections: config.http.maxConnections,
    maxPerAddress: config.http.maxConnectionsPerIp,
  });
  serveLeanRoutes(fastify);
  prepareQdrantDialect(fastify);
  preparePineconeDialect(fastify);
  // JSON only: any other body type is 415 rather than a string reaching the validators.
  fastify.removeContentTypeParser(['text/plain', 'application/json']);
  // Bodies are read as sent: a compressed one would be refused as a length mismatch or as
  // not JSON, which does not say what to change.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      done(
        new UnsupportedMediaTypeError(
          `content-encoding ${encoding.slice(0, 64)} is not supported: send the body uncompressed`,
          'content-encoding',
        ),
        payload,
      );
      return;
    }
    done(null, payload);
  });
  // Fastify's own JSON parser (prototype poisoning refused), except that a body-less DELETE
  // or GET sent with a JSON content type, as many HTTP clients do, is not an error.
  // Before the parse, one linear pass bounds the objects, arrays and keys it would allocate
  // and their nesting: a body of millions of `{}` is refused without costing seconds.
  const json = fastify.getDefaultJsonParser('error', 'error');
  const shape = {
    maxNodes: config.http.bodyNodes,
    maxDepth: MAX_BODY_DEPTH,
    maxKeyLength: MAX_KEY_LENGTH,
  };
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text === '' && (request.method === 'DELETE' || request.method === 'GET')) {
      done(null, undefined);
      return;
    }
    const refusal = jsonShapeRefusal(text, shape);
    if (refusal) {
      done(refusal, undefined);
      return;
    }
    const parse = (): void =>
      void json(request, text, (error, parsed) => {
        if (!error || !PROTOTYPE_KEY.test(text)) return done(error, parsed);
        // Fastify's parser answers "not valid JSON" for a prototype key too: a second parse,
        // in a turn of its own for a large body, tells which it was and names the key.
        const name = (): void => done(prototypeKeyRefusal(text) ?? error, undefined);
        if (text.length > PARSE_APART_CHARS) void heavyTurn().then(name);
        else name();
      });
    // A large body's parse is the longest slice of its request: it waits for a turn of the
    // event loop of its own, one such slice per turn (heavyTurn).
    if (text.length > PARSE_APART_CHARS) void heavyTurn().then(parse);
    else parse();
  });
  return adapter;
}

/** Fastify calls its client error handler bound to the instance, whose recorder it needs. */
function answerClientError(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  answerConnectionError(this, error, socket);
}

/** Options every way of building the app shares: JSON is the only body type Fastify accepts. */
export const APPLICATION_OPTIONS = { bodyParser: false, abortOnError: false } as const;

/** Swagger, then init: the same finishing steps for main.ts and for tests. */
export async function finishApp(app: NestFastifyApplication): Promise<NestFastifyApplication> {
  app.enableShutdownHooks();
  setupSwagger(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

export async function createApp(config: GatewayConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createAdapter(config),
    // No logger while modules are built: a module that fails to start would have Nest print
    // its stack before main.ts prints the one clear line an operator needs.
    { ...APPLICATION_OPTIONS, logger: false },
  );
  app.useLogger(app.get(Logger));
  return finishApp(app);
}
