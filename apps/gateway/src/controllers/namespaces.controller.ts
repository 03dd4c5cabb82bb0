import { Body, Controller, Delete, Get, HttpCode, Put, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { TenantScope } from '@vecgate/isolation';
import { NamespaceService, RequestTrace } from '@vecgate/search';
import { Roles, Tenant } from '@vecgate/tenancy';
import { NamespaceCreatedDto, NamespaceDto, NamespaceListDto } from '../dto/namespaces.dto';
import { NoBody } from '../dto/no-body.dto';
import { NoQuery } from '../dto/no-query.dto';
import { ApiProblems } from '../dto/problem.dto';
import { CurrentTenant, Scope, Trace } from '../http/request.decorators';
import { Audited } from '../http/route.decorators';

const NAME_PARAM = {
  name: 'name',
  type: String,
  description:
    'A namespace of the caller’s tenant: 1 to 64 letters, digits and `_ . : @ -`, starting with ' +
    'a letter or digit; `__default__` is the default namespace',
};

@ApiTags('namespaces')
@ApiBearerAuth()
@Controller('v1/namespaces')
export class NamespacesController {
  constructor(private readonly namespaces: NamespaceService) {}

  @Get()
  @Roles('reader')
  @Audited('namespaces.list', { readOnly: true })
  @ApiOperation({
    summary: 'The caller’s namespaces with their vector counts',
    description: 'Role: reader. The default namespace (`""`) is always listed first.',
  })
  @ApiOkResponse({ type: NamespaceListDto })
  @ApiProblems(400, 401, 403, 429, 503, 504)
  async list(
    @Scope() scope: TenantScope,
    @CurrentTenant() tenant: Tenant,
    @Query() _query: NoQuery,
    @Trace() trace: RequestTrace,
  ): Promise<NamespaceListDto> {
    const views = await this.namespaces.counted(scope, { signal: trace.signal });
    return { items: views.map((v) => NamespaceDto.of(v, tenant.createdAt)) };
  }

  @Put(':name')
  @Roles('writer')
  @Audited('namespaces.create')
  @ApiOperation({
    summary: 'Create an empty namespace (idempotent)',
    description:
      'Role: writer. 201 when created, 200 when it exists (the default namespace always does); ' +
      '403 `quota:namespaces` past the tier’s cap.',
  })
  @ApiParam(NAME_PARAM)
  @ApiCreatedResponse({ type: NamespaceCreatedDto })
  @ApiOkResponse({ type: NamespaceCreatedDto, description: 'The namespace already exists' })
  @ApiProblems(400, 401, 403, 429, 503, 504)
  async create(
    @Scope('path') scope: TenantScope,
    @CurrentTenant() tenant: Tenant,
    @Query() _query: NoQuery,
    @Body() _body: NoBody,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<NamespaceCreatedDto> {
    const { created, createdAt } = await this.namespaces.create(scope, tenant.tier);
    void reply.status(created ? 201 : 200);
    return {
      name: scope.namespace,
      createdAt: new Date(createdAt ?? tenant.createdAt).toISOString(),
    };
  }

  @Delete(':name')
  @HttpCode(204)
  @Roles('writer')
  @Audited('namespaces.delete', { heavy: true })
  @ApiOperation({
    summary: 'Erase a namespace',
    description:
      'Role: writer. Deletes every vector of the namespace, verifies none remains, then removes ' +
      'the namespace (204). The default namespace is emptied and stays. 404 for a namespace the ' +
      'tenant does not have; 503 with Retry-After when the erasure could not be verified (repeat it).',
  })
  @ApiParam(NAME_PARAM)
  @ApiNoContentResponse({ description: 'Erased and verified' })
  @ApiProblems(400, 401, 403, 404, 429, 503, 504)
  async erase(
    @Scope('path') scope: TenantScope,
    @Query() _query: NoQuery,
    @Body() _body: NoBody,
    @Trace() trace: RequestTrace,
  ): Promise<void> {
    await this.namespaces.erase(scope, trace);
  }
}
