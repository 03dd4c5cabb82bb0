import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { SqlDatabase } from '@vecgate/core';
import { BackendAdmin } from '@vecgate/isolation';
import { GATEWAY_CONFIG } from '../config/config.tokens';
import type { GatewayConfig } from '../config/gateway.config';
import { Public } from '../http/route.decorators';
import { BoundedProbe } from './bounded-probe';

type BackendReport = Awaited<ReturnType<BackendAdmin['health']>>;

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly registryProbe: BoundedProbe;
  private readonly backendsProbe: BoundedProbe;
  private backendReport: BackendReport = {};

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly sql: SqlDatabase,
    backends: BackendAdmin,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    // Each dependency gets its own short bound, so readiness answers well inside the image's
    // health-check timeout even when a database or backend hangs.
    this.registryProbe = new BoundedProbe(() => sql.ping(), config.readinessTimeoutMs);
    this.backendsProbe = new BoundedProbe(async () => {
      this.backendReport = await backends.health();
    }, config.readinessTimeoutMs);
  }

  @Get('live')
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the registry and every enabled backend answer' })
  @ApiOkResponse({ description: 'Ready' })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    try {
      return await this.health.check([() => this.registry(), () => this.vectorBackends()]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      void reply.status(503);
      return err.getResponse();
    }
  }

  private async registry(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('registry');
    try {
      await this.registryProbe.check();
      return check.up({ dialect: this.sql.dialect });
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
  }

  private async vectorBackends(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('backends');
    try {
      await this.backendsProbe.check();
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
    const results = this.backendReport;
    const down = Object.entries(results).filter(([, r]) => !r.ok);
    const detail = Object.fromEntries(
      Object.entries(results).map(([name, r]) => [name, r.ok ? 'up' : (r.detail ?? 'down')]),
    );
    return down.length === 0 ? check.up(detail) : check.down(detail);
  }
}
