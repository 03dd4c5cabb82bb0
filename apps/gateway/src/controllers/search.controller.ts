import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TenantScope } from '@vecgate/isolation';
import { RequestTrace, VectorService } from '@vecgate/search';
import { Roles } from '@vecgate/tenancy';
import { NoQuery } from '../dto/no-query.dto';
import { ApiProblems } from '../dto/problem.dto';
import { SearchRequest, SearchResponse, StatsResponse } from '../dto/vectors.dto';
import { Scope, TenantTier, Trace } from '../http/request.decorators';
import { Audited } from '../http/route.decorators';

@ApiTags('search')
@ApiBearerAuth()
@Controller('v1')
export class SearchController {
  constructor(private readonly vectors: VectorService) {}

  @Post('search')
  @HttpCode(200)
  @Roles('reader')
  @Audited('vectors.search', { readOnly: true, heavy: true })
  @ApiOperation({
    summary: 'Nearest neighbours within the caller’s tenant',
    description: 'Role: reader. Matches are sorted by score, descending; higher is more similar.',
  })
  @ApiOkResponse({ type: SearchResponse })
  @ApiProblems(400, 401, 403, 409, 413, 415, 422, 429, 503, 504)
  search(
    @Scope('body') scope: TenantScope,
    @Body() body: SearchRequest,
    @Query() _query: NoQuery,
    @Trace() trace: RequestTrace,
  ): Promise<SearchResponse> {
    return this.vectors.search(scope, body, trace);
  }

  @Get('stats')
  @Roles('tenant_admin')
  @Audited('tenant.stats')
  @ApiOperation({
    summary:
      'The caller’s tenant: vector counts (total and per namespace), dimension, metric, strategy',
    description: 'Role: tenant_admin.',
  })
  @ApiOkResponse({ type: StatsResponse })
  @ApiProblems(400, 401, 403, 429, 503, 504)
  stats(
    @Scope() scope: TenantScope,
    @TenantTier() tier: string,
    @Query() _query: NoQuery,
    @Trace() trace: RequestTrace,
  ): Promise<StatsResponse> {
    return this.vectors.stats(scope, tier, trace);
  }
}
