import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
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
import { Public } from '../http/route.decorators';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly sql: SqlDatabase,
    private readonly backends: BackendAdmin,
  ) {}

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
      await this.sql.ping();
      return check.up({ dialect: this.sql.dialect });
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
  }

  private async vectorBackends(): Promise<HealthIndicatorResult> {
    const results = await this.backends.health();
    const check = this.indicators.check('backends');
    const down = Object.entries(results).filter(([, r]) => !r.ok);
    const detail = Object.fromEntries(
      Object.entries(results).map(([name, r]) => [name, r.ok ? 'up' : (r.detail ?? 'down')]),
    );
    return down.length === 0 ? check.up(detail) : check.down(detail);
  }
}
