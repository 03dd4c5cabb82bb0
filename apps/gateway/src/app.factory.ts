import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module';
import { GatewayConfig } from './config/gateway.config';
import { setupSwagger } from './docs/swagger';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Fastify with the body limit and timeouts from configuration and safe JSON parsing. */
export function createAdapter(config: GatewayConfig): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimit,
    trustProxy: config.http.trustProxy,
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.requestTimeoutMs,
    routerOptions: { maxParamLength: 8192 },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  // JSON only: any other body type is 415 rather than a string reaching the validators.
  adapter.getInstance().removeContentTypeParser(['text/plain']);
  return adapter;
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
    {
      ...APPLICATION_OPTIONS,
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
  return finishApp(app);
}
