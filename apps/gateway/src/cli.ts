import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AuditService } from '@vecgate/audit';
import { PlatformTokenService } from '@vecgate/tenancy';
import { CliModule } from './cli/cli.module';
import { parseTokenCommand, runTokenCommand, TOKEN_USAGE, UsageError } from './cli/token.command';
import { ConfigError, loadGatewayConfig } from './config/gateway.config';

/**
 * `vecgate token ...`: platform tokens for the operator of a deployment, read from the same
 * environment as the gateway (in the container: `docker compose exec gateway vecgate token
 * mint --subject ops --roles platform_admin`).
 */
async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'token') {
    process.stderr.write(`${TOKEN_USAGE}\n`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseTokenCommand(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`vecgate: ${err.message}\n${TOKEN_USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadGatewayConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`vecgate: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config), {
    logger: ['error'],
    abortOnError: false,
  });
  try {
    const output = await runTokenCommand(
      parsed,
      app.get(PlatformTokenService),
      app.get(AuditService),
    );
    process.stdout.write(`${output}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`vecgate: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`vecgate: ${err.message}\n`);
    process.exit(1);
  },
);
