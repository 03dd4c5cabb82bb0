import { Body, Controller, Delete, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { RequestState } from '@vecgate/core';
import {
  CreateTenant,
  DeleteTenant,
  MigrateTenant,
  Principal,
  Roles,
  TargetTenant,
  TargetTenantRecord,
  Tenant,
  TenantService,
} from '@vecgate/tenancy';
import { MoveQuota } from '@vecgate/search';
import { NoBody } from '../dto/no-body.dto';
import { NoQuery } from '../dto/no-query.dto';
import { ApiProblems } from '../dto/problem.dto';
import {
  CreateTenantRequest,
  ListTenantsQuery,
  TenantDto,
  TenantPageDto,
  UpdateTenantRequest,
} from '../dto/tenants.dto';
import { CurrentPrincipal, RequestStateParam } from '../http/request.decorators';
import { Audited } from '../http/route.decorators';

@ApiTags('admin: tenants')
@ApiBearerAuth()
@TargetTenant('id')
@Controller('v1/admin/tenants')
export class AdminTenantsController {
  constructor(
    private readonly tenants: TenantService,
    private readonly createTenant: CreateTenant,
    private readonly deleteTenant: DeleteTenant,
    private readonly migrateTenant: MigrateTenant,
    private readonly moveQuota: MoveQuota,
  ) {}

  @Post()
  @Roles('platform_admin')
  @Audited('admin.tenant.create')
  @ApiOperation({
    summary: 'Create a tenant (idempotent)',
    description:
      'Role: platform_admin. 201 when created; 200 for an identical repeat; 409 for a different body under an existing id ' +
      'or an id being deleted; 507 when a backend limit is reached.',
  })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiOkResponse({ type: TenantDto, description: 'Identical repeat of an earlier creation' })
  @ApiProblems(400, 401, 403, 409, 422, 503, 507)
  async create(
    @Body() body: CreateTenantRequest,
    @Query() _query: NoQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
    @RequestStateParam() state: RequestState,
  ): Promise<TenantDto> {
    state.targetTenant = body.id;
    const { tenant, created } = await this.createTenant.execute(body);
    state.targetTenantUid = tenant.uid;
    void reply.status(created ? 201 : 200);
    return TenantDto.of(tenant);
  }

  @Get()
  @Roles('platform_admin')
  @Audited('admin.tenant.list')
  @ApiOperation({
    summary: 'List tenants',
    description: 'Role: platform_admin. 100 per page by default.',
  })
  @ApiOkResponse({ type: TenantPageDto })
  @ApiProblems(400, 401, 403, 503)
  async list(@Query() query: ListTenantsQuery): Promise<TenantPageDto> {
    const page = await this.tenants.list(query.limit ?? 100, query.cursor);
    return { items: page.items.map((t) => TenantDto.of(t)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Roles('platform_admin')
  @Audited('admin.tenant.get')
  @ApiOperation({ summary: 'A tenant with its placement', description: 'Role: platform_admin.' })
  @ApiOkResponse({ type: TenantDto })
  @ApiProblems(400, 401, 403, 404, 503)
  @ApiParam({ name: 'id', type: String })
  get(@TargetTenantRecord() tenant: Tenant, @Query() _query: NoQuery): TenantDto {
    return TenantDto.of(tenant);
  }

  @Patch(':id')
  @Roles('platform_admin')
  @Audited('admin.tenant.update')
  @ApiOperation({
    summary: 'Suspend, resume, re-tier or move a tenant',
    description:
      'Role: platform_admin. A tier whose placement rule differs from the tenant’s placement, or an explicit ' +
      '`backend`/`strategy`, moves the tenant online: 202 with `migration`, and GET shows its progress until the ' +
      'tenant lives in its new place. The tenant keeps serving reads and writes throughout, with the same tokens ' +
      'and API keys. 409 while another move is under way; 507 when the target cannot take the tenant (nothing is ' +
      'started then).',
  })
  @ApiOkResponse({ type: TenantDto })
  @ApiAcceptedResponse({ type: TenantDto, description: 'A move to another placement has started' })
  @ApiProblems(400, 401, 403, 404, 409, 421, 422, 503, 507)
  async update(
    @Param('id') id: string,
    @Body() body: UpdateTenantRequest,
    @Query() _query: NoQuery,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TenantDto> {
    const { status, ...move } = body;
    const { tenant, moving } = await this.migrateTenant.execute(
      id,
      move,
      principal.subject,
      (s, t) => this.moveQuota.admit(s, t),
    );
    if (!moving) return TenantDto.of(await this.tenants.update(id, { status, tier: body.tier }));
    const updated = status ? await this.tenants.update(id, { status }) : tenant;
    void reply.status(202).header('location', `/v1/admin/tenants/${id}`);
    return TenantDto.of({ ...updated, migration: tenant.migration });
  }

  @Delete(':id/migration')
  @Roles('platform_admin')
  @Audited('admin.tenant.migration.cancel')
  @ApiOperation({
    summary: 'Cancel a tenant’s move',
    description:
      'Role: platform_admin. Before the switch only: the tenant stays where it was and the new place is erased ' +
      '(the migration reads `cancelling` until then); repeated meanwhile, 202 again. 404 when the tenant is not ' +
      'moving; 409 once it has switched, or while a failed move rolls back.',
  })
  @ApiAcceptedResponse({ type: TenantDto })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  async cancelMigration(
    @Param('id') id: string,
    @Query() _query: NoQuery,
    @Body() _body: NoBody,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TenantDto> {
    const tenant = await this.migrateTenant.cancel(id);
    void reply.status(202);
    return TenantDto.of(tenant);
  }

  @Delete(':id')
  @Roles('platform_admin')
  @Audited('admin.tenant.delete')
  @ApiOperation({
    summary: 'Delete a tenant and erase every record of it',
    description:
      'Role: platform_admin. On a registry of its own (SQLite) answers 204 once every place of the tenant is ' +
      'erased and verified. With replicas (PostgreSQL) every replica must first stop serving the tenant ' +
      '(TENANT_CACHE_TTL_MS + TENANT_DELETE_GRACE_MS), so it answers 202 with the tenant in status `deleting` ' +
      'and a Location to poll: GET answers 200 `deleting` until the verified erasure is done, then 404. Either ' +
      'way the id is then tombstoned, so tokens issued before the deletion are refused even if the id is reused. ' +
      'An embedded tenant is deleted only through the replica that holds it (421 elsewhere).',
  })
  @ApiNoContentResponse({ description: 'Erased and verified' })
  @ApiAcceptedResponse({ type: TenantDto, description: 'Marked deleting; erasure under way' })
  @ApiProblems(400, 401, 403, 404, 421, 503)
  async delete(
    @Param('id') id: string,
    @Query() _query: NoQuery,
    @Body() _body: NoBody,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TenantDto | undefined> {
    const { tenant: marked, erased } = await this.deleteTenant.execute(id, principal.subject);
    if (erased) {
      void reply.status(204);
      return undefined;
    }
    void reply.status(202).header('location', `/v1/admin/tenants/${marked.id}`);
    return TenantDto.of(marked);
  }
}
