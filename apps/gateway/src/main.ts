import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadGatewayConfig } from './config/gateway.config';
import { announceDevelopmentAccess } from './config/development';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadGatewayConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`vecgate refuses to start, ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
  const logger = new Logger('vecgate');
  logger.log(`listening on http://${config.http.host}:${config.http.port} (docs at /docs)`);
  if (config.development) announceDevelopmentAccess(app, config);
}

void bootstrap();
