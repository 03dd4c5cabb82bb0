import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Principal, Roles, TenantAdminOf, TokenService } from '@vecgate/tenancy';
import { ApiProblems } from '../dto/problem.dto';
import { MintTokenRequest, MintTokenResponse } from '../dto/tenants.dto';
import { CurrentPrincipal } from '../http/request.decorators';
import { Audited } from '../http/route.decorators';

@ApiTags('admin: tokens')
@ApiBearerAuth()
@Controller('v1/admin/tenants/:id/tokens')
export class AdminTokensController {
  constructor(private readonly tokens: TokenService) {}

  @Post()
  @Roles('platform_admin', 'tenant_admin')
  @TenantAdminOf('id')
  @Audited('admin.token.mint')
  @ApiOperation({
    summary: 'Mint a token for the tenant in the path',
    description:
      'Roles: platform_admin, or tenant_admin of that tenant (which can mint only roles it holds). The tenant comes ' +
      'from the path; the TTL is at most MAX_TOKEN_TTL and the minter’s remaining lifetime.',
  })
  @ApiCreatedResponse({ type: MintTokenResponse })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  mint(
    @Param('id') id: string,
    @Body() body: MintTokenRequest,
    @CurrentPrincipal() principal: Principal,
  ): Promise<MintTokenResponse> {
    return this.tokens.mint(principal, id, body);
  }

  @Delete(':jti')
  @HttpCode(204)
  @Roles('platform_admin', 'tenant_admin')
  @TenantAdminOf('id')
  @Audited('admin.token.revoke')
  @ApiOperation({
    summary: 'Revoke a minted token',
    description:
      'Roles: platform_admin, or tenant_admin of that tenant. Refused from then on (401).',
  })
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404, 503)
  revoke(@Param('id') id: string, @Param('jti') jti: string): Promise<void> {
    return this.tokens.revoke(id, jti);
  }
}
