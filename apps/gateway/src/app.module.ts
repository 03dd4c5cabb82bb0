import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, HttpAdapterHost } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from '@vecgate/audit';
import { MetricsModule, MetricsService, SqlModule } from '@vecgate/core';
import { IsolationModule } from '@vecgate/isolation';
import { SearchModule } from '@vecgate/search';
import { AuthGuard, TenancyModule, TenantGuard } from '@vecgate/tenancy';
import { join } from 'node:path';
import { GATEWAY_CONFIG } from './config/config.tokens';
import { GatewayConfig } from './config/gateway.config';
import { AdminApiKeysController } from './controllers/admin-api-keys.controller';
import { auditLineWriter, logDestination } from './config/log-destination';
import { AdminSearchController } from './controllers/admin-search.controller';
import { AdminTenantsController } from './controllers/admin-tenants.controller';
import { AdminTokensController } from './controllers/admin-tokens.controller';
import { AuditController } from './controllers/audit.controller';
import { NamespacesController } from './controllers/namespaces.controller';
import { QdrantTokensController } from './controllers/qdrant-tokens.controller';
import { SearchController } from './controllers/search.controller';
import { VectorsController } from './controllers/vectors.controller';
import { PINECONE_CONTROLLERS, PINECONE_PROVIDERS } from './dialects/pinecone';
import { QDRANT_DIALECT } from './dialects/qdrant';
import { HealthController } from './health/health.controller';
import { HttpPipeline } from './http/http-pipeline';
import { LOG_REDACTION } from './http/log-redaction';
import { TenantAuditCursors } from './controllers/tenant-audit-cursors';
import { LEAN_CONTROLLERS, LEAN_PIPELINE, LeanPipeline, LeanRoutes } from './http/lean-routes';
import { DataDirCheck } from './config/data-dir-check';
import { BodyBudget } from './http/body-budget';
import { MemoryGuard } from './http/memory-guard';
import { ProblemFilter } from './http/problem.filter';
import { RequestGovernor } from './http/request-governor.interceptor';
import { GatewayValidationPipe } from './http/validation.pipe';
import { MetricsServer } from './metrics/metrics.server';

/**
 * The gateway's root module. Every global piece of the request pipeline is registered here,
 * so a test that imports this module runs exactly the production pipeline.
 */
/** Every controller; their routes are served by LeanRoutes where it can, else by Nest. */
const CONTROLLERS = [
  VectorsController,
  SearchController,
  NamespacesController,
  AuditController,
  AdminTenantsController,
  AdminTokensController,
  AdminApiKeysController,
  AdminSearchController,
  QdrantTokensController,
  HealthController,
  ...PINECONE_CONTROLLERS,
  ...QDRANT_DIALECT.controllers,
];

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const fromConfig = { inject: [GATEWAY_CONFIG] };
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => ({ ...config })],
        }),
        LoggerModule.forRoot({
          pinoHttp: [
            {
              level: config.logLevel,
              autoLogging: false,
              quietReqLogger: true,
              redact: LOG_REDACTION,
            },
            logDestination(),
          ],
          forRoutes: [],
        }),
        ConfigHolder.forRoot(config),
        MetricsModule,
        SqlModule.forRootAsync({
          ...fromConfig,
          useFactory: (c: GatewayConfig) => ({
            databaseUrl: c.databaseUrl,
            timeouts: c.databaseTimeouts,
            sqliteFile: join(c.dataDir, 'vecgate.db'),
          }),
        }),
        IsolationModule.forRootAsync({
          ...fromConfig,
          useFactory: (c: GatewayConfig) => c.isolation,
        }),
        TenancyModule.forRootAsync({ ...fromConfig, useFactory: (c: GatewayConfig) => c.tenancy }),
        AuditModule.forRootAsync({
          ...fromConfig,
          useFactory: (c: GatewayConfig) => ({
            ...c.audit,
            ...(c.audit.log ? { logLine: auditLineWriter(c.logLevel) } : {}),
          }),
        }),
        SearchModule.forRoot({ quotas: config.quotas }),
        TerminusModule,
      ],
      controllers: CONTROLLERS,
      providers: [
        { provide: APP_GUARD, useExisting: AuthGuard },
        { provide: APP_GUARD, useExisting: TenantGuard },
        { provide: APP_FILTER, useExisting: ProblemFilter },
        { provide: APP_PIPE, useExisting: GatewayValidationPipe },
        { provide: APP_INTERCEPTOR, useExisting: RequestGovernor },
        ProblemFilter,
        GatewayValidationPipe,
        RequestGovernor,
        TenantAuditCursors,
        // The same guards, pipe, governor and filter, for the routes served without Nest's
        // per-request execution (see LeanRoutes).
        {
          provide: LEAN_PIPELINE,
          inject: [
            AuthGuard,
            TenantGuard,
            GatewayValidationPipe,
            ProblemFilter,
            RequestGovernor,
            HttpAdapterHost,
          ],
          useFactory: (
            auth: AuthGuard,
            tenant: TenantGuard,
            pipe: GatewayValidationPipe,
            filter: ProblemFilter,
            governor: RequestGovernor,
            host: HttpAdapterHost,
          ): LeanPipeline => ({
            guards: [auth, tenant],
            pipe,
            filter,
            govern: (request, reply, work) => governor.govern(request, reply, work),
            reply: (reply, body): unknown => host.httpAdapter.reply(reply, body) as unknown,
          }),
        },
        { provide: LEAN_CONTROLLERS, useValue: CONTROLLERS },
        LeanRoutes,
        HttpPipeline,
        DataDirCheck,
        {
          provide: MemoryGuard,
          inject: [GATEWAY_CONFIG],
          useFactory: (c: GatewayConfig) => new MemoryGuard(c.http.memoryGuardPercent),
        },
        {
          provide: BodyBudget,
          inject: [GATEWAY_CONFIG, MetricsService],
          useFactory: (c: GatewayConfig, metrics: MetricsService) =>
            new BodyBudget(
              c.http.bodyBytesInFlight,
              metrics.gauge(
                'vecgate_request_body_bytes_in_flight',
                'Bytes of request bodies reserved in BODY_BYTES_IN_FLIGHT',
              ),
            ),
        },
        MetricsServer,
        ...PINECONE_PROVIDERS,
        ...QDRANT_DIALECT.providers,
      ],
    };
  }
}

/** Makes the validated configuration injectable everywhere under GATEWAY_CONFIG. */
@Module({})
class ConfigHolder {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: ConfigHolder,
      global: true,
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }],
      exports: [GATEWAY_CONFIG],
    };
  }
}
