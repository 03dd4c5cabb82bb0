import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { createServer, Server } from 'node:http';
import { MetricsService } from '@vecgate/core';
import { GATEWAY_CONFIG } from '../config/config.tokens';
import type { GatewayConfig } from '../config/gateway.config';

/**
 * Prometheus metrics on their own port, bound to loopback by default (METRICS_HOST), or off
 * (METRICS_PORT=off). Metric labels carry routes and outcomes, never tenant ids.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.config.metrics;
    if (port === null) return;
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.metrics.registry.metrics().then(
        (body) =>
          res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server
        ?.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            new Error(
              `METRICS_PORT: cannot listen on ${host}:${port} (${err.code ?? err.message}); ` +
                'choose a free port, or METRICS_PORT=off',
              { cause: err },
            ),
          ),
        )
        .listen(port, host, () => resolve());
    });
    this.logger.log(`metrics on http://${host}:${port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
