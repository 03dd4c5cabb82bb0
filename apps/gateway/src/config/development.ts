import { INestApplication } from '@nestjs/common';
import { TokenSigner } from '@vecgate/tenancy';
import { GatewayConfig } from './gateway.config';

const DEV_ADMIN_TTL_SECONDS = 12 * 3600;

/**
 * Development only (NODE_ENV=development, set explicitly): prints a platform admin token so
 * the first curl works without another tool. Production never reaches this.
 */
export function announceDevelopmentAccess(app: INestApplication, config: GatewayConfig): void {
  if (!config.development) return;
  const signed = app.get(TokenSigner).sign({
    subject: 'dev-admin',
    roles: ['platform_admin', 'auditor', 'cross_tenant_admin'],
    ttlSeconds: DEV_ADMIN_TTL_SECONDS,
  });
  const lines = [
    '',
    'Development mode: this admin token is valid for 12 hours.',
    config.devSecretFile
      ? `The signing secret is kept in ${config.devSecretFile}.`
      : 'Tokens are signed with JWT_SECRET.',
    '',
    `  export VECGATE_ADMIN_TOKEN=${signed.token}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
