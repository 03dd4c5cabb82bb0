import 'reflect-metadata';
import type { Server } from 'node:net';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { announceDevelopmentAccess } from './config/development';
import { ConfigError, GatewayConfig, loadGatewayConfig } from './config/gateway.config';

/** Start-up failures name what is wrong and exit 1, without a stack trace for the operator. */
function refuse(message: string): never {
  process.stderr.write(`vecgate refuses to start: ${message}\n`);
  process.exit(1);
}

async function bootstrap(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) refuse(err.message);
    throw err;
  }
  let app;
  try {
    app = await createApp(config);
  } catch (err) {
    refuse((err as Error).message);
  }
  try {
    await app.listen(config.http.port, config.http.host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    refuse(`PORT: cannot listen on ${config.http.host}:${config.http.port} (${code})`);
  }
  // The bound port, not the configured one: PORT=0 asks for any free port.
  const bound = (app.getHttpServer() as Server).address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : config.http.port;
  new Logger('vecgate').log(`listening on http://${config.http.host}:${port} (docs at /docs)`);
  if (config.development) announceDevelopmentAccess(app, config);
}

void bootstrap();
