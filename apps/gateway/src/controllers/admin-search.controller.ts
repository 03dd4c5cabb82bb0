import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequestTrace, VectorService } from '@vecgate/search';
import {
  CrossTenant,
  LiveTargetTenant,
  Roles,
  TargetTenant,
  Tenant,
  TenantService,
} from '@vecgate/tenancy';
import { NoQuery } from '../dto/no-query.dto';
import { ApiProblems } from '../dto/problem.dto';
import { SearchRequest, SearchResponse } from '../dto/vectors.dto';
import type { RequestState } from '@vecgate/core';
import { inRequestedNamespace } from '../http/namespace-scope';
import { RequestStateParam, Trace } from '../http/request.decorators';
import { Audited } from '../http/route.decorators';

@ApiTags('admin: cross-tenant')
@ApiBearerAuth()
@TargetTenant('id')
@Controller('v1/admin/tenants/:id/search')
export class AdminSearchController {
  constructor(
    private readonly tenants: TenantService,
    private readonly vectors: VectorService,
  ) {}

  @Post()
  @HttpCode(200)
  @Roles('cross_tenant_admin')
  @CrossTenant()
  @Audited('admin.cross_tenant.search', { readOnly: true, heavy: true })
  @ApiOperation({
    summary: 'Search inside another tenant',
    description:
      'Role: cross_tenant_admin. Every call is audited at alert level and sent to the alert sink.',
  })
  @ApiOkResponse({ type: SearchResponse })
  @ApiProblems(400, 401, 403, 404, 409, 422, 429, 503, 504)
  @ApiParam({ name: 'id', type: String })
  search(
    @LiveTargetTenant() tenant: Tenant,
    @Body() body: SearchRequest,
    @Query() _query: NoQuery,
    @Trace() trace: RequestTrace,
    @RequestStateParam() state: RequestState,
  ): Promise<SearchResponse> {
    const scope = this.tenants.scopeOf(tenant);
    return this.vectors.search(
      inRequestedNamespace(state, scope, body.namespace, 'namespace'),
      body,
      trace,
    );
  }
}
