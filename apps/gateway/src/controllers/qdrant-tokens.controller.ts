import { Body, Controller, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ConflictError } from '@vecgate/core';
import { QdrantTokenService } from '@vecgate/isolation';
import {
  assertMayGrant,
  LiveTargetTenant,
  Principal,
  Tenant,
  TenantService,
} from '@vecgate/tenancy';
import { NoQuery } from '../dto/no-query.dto';
import { ApiProblems } from '../dto/problem.dto';
import { QdrantTokenRequestDto, QdrantTokenResponseDto } from '../dto/qdrant-tokens.dto';
import { CurrentPrincipal } from '../http/request.decorators';
import { TenantAdminRoute } from '../http/route.decorators';

@ApiTags('admin: qdrant')
@ApiBearerAuth()
@Controller('v1/admin/tenants/:id/qdrant-token')
export class QdrantTokensController {
  constructor(
    private readonly tenants: TenantService,
    private readonly qdrantTokens: QdrantTokenService,
  ) {}

  @Post()
  @TenantAdminRoute('admin.qdrant_token.mint')
  @ApiOperation({
    summary: 'Mint a Qdrant-native token for the tenant’s own collection',
    description:
      'Roles: platform_admin, or tenant_admin of that tenant. Only for a tenant on the Qdrant ' +
      '`collection` strategy (409 otherwise: a Qdrant token cannot restrict a shared collection ' +
      'to one tenant). The token grants `r` or `rw` on that one collection, expires within ' +
      'QDRANT_TOKEN_MAX_TTL and the minter’s own lifetime, and stops working when the tenant is ' +
      'deleted. Calls made with it go straight to Qdrant: the gateway does not see or audit them.',
  })
  @ApiCreatedResponse({ type: QdrantTokenResponseDto })
  @ApiProblems(400, 401, 403, 404, 409, 502, 503)
  @ApiParam({ name: 'id', type: String })
  mint(
    @LiveTargetTenant() tenant: Tenant,
    @Body() body: QdrantTokenRequestDto,
    @Query() _query: NoQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<QdrantTokenResponseDto> {
    assertMayGrant(principal);
    // A suspended tenant is refused at the gateway; a Qdrant token would not be.
    if (tenant.status !== 'active') {
      throw new ConflictError(
        `tenant ${tenant.id} is ${tenant.status}: no Qdrant token can be minted`,
      );
    }
    return this.qdrantTokens.mint(this.tenants.scopeOf(tenant), {
      access: body.access,
      ttlSeconds: body.ttlSeconds,
      notAfter: principal.expiresAt,
    });
  }
}
