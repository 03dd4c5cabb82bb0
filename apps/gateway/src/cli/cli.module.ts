import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@vecgate/audit';
import { MetricsModule, SqlModule } from '@vecgate/core';
import { PlatformTokensModule } from '@vecgate/tenancy';
import { join } from 'node:path';
import { GatewayConfig } from '../config/gateway.config';

/**
 * The command line's view of a deployment: the same registry and audit store as the gateway
 * (from the same environment), and nothing that serves requests or touches vector backends.
 */
@Module({})
export class CliModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const sql = {
      databaseUrl: config.databaseUrl,
      timeouts: config.databaseTimeouts,
      sqliteFile: join(config.dataDir, 'vecgate.db'),
    };
    return {
      module: CliModule,
      imports: [
        MetricsModule,
        SqlModule.forRootAsync({ useFactory: () => sql }),
        AuditModule.forRootAsync({ useFactory: () => ({ ...config.audit, log: false }) }),
        PlatformTokensModule.forRoot(config.tenancy),
      ],
    };
  }
}
