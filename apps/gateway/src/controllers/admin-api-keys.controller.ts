import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyService, Principal } from '@vecgate/tenancy';
import {
  ApiKeyDto,
  ApiKeyPageDto,
  CreateApiKeyRequest,
  CreatedApiKeyDto,
  ListApiKeysQuery,
} from '../dto/api-keys.dto';
import { NoQuery } from '../dto/no-query.dto';
import { ApiProblems } from '../dto/problem.dto';
import { CurrentPrincipal } from '../http/request.decorators';
import { TenantAdminRoute } from '../http/route.decorators';

@ApiTags('admin: api keys')
@ApiBearerAuth()
@Controller('v1/admin/tenants/:id/api-keys')
export class AdminApiKeysController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @Post()
  @TenantAdminRoute('admin.api_key.create')
  @ApiOperation({
    summary: 'Create an API key for the tenant in the path',
    description:
      'Roles: platform_admin, or tenant_admin of that tenant (which can grant only roles it holds); an API key ' +
      'cannot create keys. The key is in this answer only; the registry keeps an HMAC-SHA256 of it. It belongs ' +
      'to this tenant incarnation, and revoking the token that created it (or any token that one descends ' +
      'from) revokes it.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems(400, 401, 403, 404, 409, 422, 503)
  async create(
    @Param('id') id: string,
    @Body() body: CreateApiKeyRequest,
    @Query() _query: NoQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedApiKeyDto> {
    const created = await this.apiKeys.create(principal, id, body);
    return CreatedApiKeyDto.of(created.record, created.key);
  }

  @Get()
  @TenantAdminRoute('admin.api_key.list')
  @ApiOperation({
    summary: 'List the live API keys of the tenant in the path',
    description:
      'Roles: platform_admin, or tenant_admin of that tenant. Keys neither revoked nor expired, with who ' +
      'created each and when each was last used; never the keys or their hashes.',
  })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiProblems(400, 401, 403, 404, 503)
  async list(@Param('id') id: string, @Query() query: ListApiKeysQuery): Promise<ApiKeyPageDto> {
    const page = await this.apiKeys.list(id, query.limit ?? 100, query.cursor);
    return { items: page.items.map(ApiKeyDto.of), nextCursor: page.nextCursor };
  }

  @Delete(':keyId')
  @HttpCode(204)
  @TenantAdminRoute('admin.api_key.revoke')
  @ApiOperation({
    summary: 'Revoke an API key',
    description:
      'Roles: platform_admin, or tenant_admin of that tenant. The key is refused from then on (401), on every ' +
      'replica within TENANT_CACHE_TTL_MS.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403, 404, 503)
  revoke(
    @Param('id') id: string,
    @Param('keyId') keyId: string,
    @Query() _query: NoQuery,
  ): Promise<void> {
    return this.apiKeys.revoke(id, keyId);
  }
}
