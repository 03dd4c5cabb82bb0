import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import {
  createServer as createHttpServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { GATEWAY_CONFIG } from '../../config/config.tokens';
import type { GatewayConfig } from '../../config/gateway.config';
import { limitConnections } from '../../http/connection-limits';
import { answerConnectionError, CONNECT_REFUSED, ConnectionError } from '../../http/error-answer';
import { qdrantError } from './qdrant-errors';
import { QDRANT_PREFIX } from './qdrant.route';
import { markQdrantRequest } from './qdrant-listener.constraint';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The Qdrant API's own port (`QDRANT_API_PORT`). Qdrant clients ignore any path in their URL,
 * so the dialect answers at `/`: each request of this listener is marked, given the internal
 * prefix and handed to the same Fastify instance as the main port, so it passes the same hooks,
 * guards, limits and audit. Routes under the prefix match only marked requests (a request of
 * the main port there is a 404), and marked requests match nothing else.
 */
@Injectable()
export class QdrantListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(QdrantListener.name);
  private server?: Server;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** The bound port, once listening (tests bind port 0). */
  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** The listener's server, once listening (tests count the requests it receives). */
  get httpServer(): Server | undefined {
    return this.server;
  }

  onModuleInit(): void {
    if (this.config.qdrantApi.port === null) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Listening once the routes are ready; a port in use makes start-up fail with its name.
    fastify.addHook('onReady', () => this.listen(fastify));
  }

  private async listen(fastify: FastifyInstance): Promise<void> {
    const { port, host, tls } = this.config.qdrantApi;
    const { http } = this.config;
    const routing: Handler = fastify.routing;
    const options = {
      requestTimeout: http.requestTimeoutMs,
      headersTimeout: http.headersTimeoutMs,
      keepAliveTimeout: http.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, http.requestTimeoutMs / 2),
    };
    const handler: Handler = (req, res) => {
      markQdrantRequest(req);
      req.url = internalUrl(req.url ?? '/');
      routing(req, res);
    };
    const server = tls
      ? createHttpsServer({ ...options, cert: tls.cert, key: tls.key }, handler)
      : createHttpServer(options, handler);
    limitConnections(server, {
      maxConnections: http.maxConnections,
      maxPerAddress: http.maxConnectionsPerIp,
    });
    // Requests Node refuses before the router sees them (431, 400, 408) in Qdrant's shape too.
    server.on('clientError', (error: ConnectionError, socket: Duplex) =>
      answerConnectionError(fastify, error, socket, qdrantError),
    );
    server.on('connect', (_request: unknown, socket: Duplex) =>
      answerConnectionError(fastify, CONNECT_REFUSED, socket, qdrantError),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `QDRANT_API_PORT: cannot listen on ${host}:${port} (${err.code ?? err.message})`,
            { cause: err },
          ),
        ),
      );
      server.listen(port ?? 0, host, () => resolve());
    });
    this.logger.log(`Qdrant API on ${tls ? 'https' : 'http'}://${host}:${this.port ?? port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/** `/collections` → `/qdrant/collections`; the root (the version check) is the prefix itself. */
function internalUrl(url: string): string {
  const path = url.startsWith('/') ? url : `/${url}`;
  return path === '/' || path.startsWith('/?')
    ? `${QDRANT_PREFIX}${path.slice(1)}`
    : `${QDRANT_PREFIX}${path}`;
}
