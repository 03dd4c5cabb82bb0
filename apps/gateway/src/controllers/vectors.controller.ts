import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TenantScope } from '@vecgate/isolation';
import { RequestTrace, VectorService } from '@vecgate/search';
import { Roles } from '@vecgate/tenancy';
import { NoQuery } from '../dto/no-query.dto';
import { ApiProblems } from '../dto/problem.dto';
import {
  DeleteVectorsRequest,
  DeleteVectorsResponse,
  FetchVectorQuery,
  UpsertVectorsRequest,
  UpsertVectorsResponse,
  VectorDto,
} from '../dto/vectors.dto';
import { Scope, TenantTier, Trace } from '../http/request.decorators';
import { Audited } from '../http/route.decorators';

@ApiTags('vectors')
@ApiBearerAuth()
@Controller('v1/vectors')
export class VectorsController {
  constructor(private readonly vectors: VectorService) {}

  @Put()
  @Roles('writer')
  @Audited('vectors.upsert', { heavy: true })
  @ApiOperation({ summary: 'Upsert vectors of the caller’s tenant', description: 'Role: writer.' })
  @ApiOkResponse({ type: UpsertVectorsResponse })
  @ApiProblems(400, 401, 403, 409, 413, 415, 422, 429, 503, 504)
  upsert(
    @Scope('body') scope: TenantScope,
    @TenantTier() tier: string,
    @Body() body: UpsertVectorsRequest,
    @Query() _query: NoQuery,
    @Trace() trace: RequestTrace,
  ): Promise<UpsertVectorsResponse> {
    return this.vectors.upsert(scope, tier, body.vectors, trace);
  }

  @Get(':id')
  @Roles('reader')
  @Audited('vectors.fetch')
  @ApiOperation({
    summary: 'Fetch one vector of the caller’s tenant',
    description: 'Role: reader.',
  })
  @ApiOkResponse({ type: VectorDto })
  @ApiProblems(400, 401, 403, 404, 429, 503, 504)
  fetch(
    @Scope('query') scope: TenantScope,
    @Param('id') id: string,
    @Query() _query: FetchVectorQuery,
    @Trace() trace: RequestTrace,
  ): Promise<VectorDto> {
    return this.vectors.fetch(scope, id, trace);
  }

  @Post('delete')
  @HttpCode(200)
  @Roles('writer')
  @Audited('vectors.delete', { heavy: true })
  @ApiOperation({
    summary: 'Delete vectors by ids or by filter',
    description:
      'Role: writer. Acts inside one namespace (the default unless `namespace` is given). ' +
      'An empty filter is refused unless `deleteAll: true`.',
  })
  @ApiOkResponse({ type: DeleteVectorsResponse })
  @ApiProblems(400, 401, 403, 409, 413, 415, 429, 503, 504)
  delete(
    @Scope('body') scope: TenantScope,
    @Body() body: DeleteVectorsRequest,
    @Query() _query: NoQuery,
    @Trace() trace: RequestTrace,
  ): Promise<DeleteVectorsResponse> {
    return this.vectors.delete(scope, body, trace);
  }
}
