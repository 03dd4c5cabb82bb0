import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService, StoredAuditEvent } from '@vecgate/audit';
import type { TenantScope } from '@vecgate/isolation';
import { Roles } from '@vecgate/tenancy';
import { AdminAuditQuery, AuditPageDto, AuditQuery } from '../dto/audit.dto';
import { ApiProblems } from '../dto/problem.dto';
import { Scope } from '../http/request.decorators';
import { Audited } from '../http/route.decorators';
import { TenantAuditCursors } from './tenant-audit-cursors';

const DEFAULT_PAGE = 100;

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly cursors: TenantAuditCursors,
  ) {}

  @Get('audit')
  @Roles('tenant_admin')
  @Audited('audit.read')
  @ApiOperation({
    summary: 'Audit events of the caller’s tenant',
    description:
      'Role: tenant_admin. Events of this tenant incarnation (uid) as actor or resolved target, newest first. ' +
      'Claims of unverified tokens are never shown here.',
  })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems(400, 401, 403, 429, 503, 504)
  async own(@Scope() scope: TenantScope, @Query() query: AuditQuery): Promise<AuditPageDto> {
    const page = await this.audit.query(
      { ...query.toFilter(), tenantUid: scope.tenantUid },
      query.limit ?? DEFAULT_PAGE,
      query.cursor === undefined ? undefined : this.cursors.open(scope.tenantUid, query.cursor),
    );
    return {
      items: page.items.map(tenantView),
      nextCursor: this.cursors.seal(scope.tenantUid, page.nextCursor),
    };
  }

  @Get('admin/audit')
  @Roles('auditor', 'platform_admin')
  @Audited('admin.audit.read')
  @ApiOperation({
    summary: 'Audit events of all tenants, filterable',
    description: 'Roles: auditor, platform_admin.',
  })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems(400, 401, 403, 503, 504)
  async all(@Query() query: AdminAuditQuery): Promise<AuditPageDto> {
    return this.audit.query(
      query.toFilter(),
      query.limit ?? DEFAULT_PAGE,
      query.cursor === undefined ? undefined : Number(query.cursor),
    );
  }
}

/**
 * A tenant never sees what an unverified token claimed, nor the event's position in the trail
 * of all tenants.
 */
function tenantView(event: StoredAuditEvent): Omit<StoredAuditEvent, 'seq'> {
  const { claimedTenant: _hidden, seq: _shared, ...rest } = event;
  return rest;
}
