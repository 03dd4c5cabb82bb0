import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Principal, TokenService } from '@vecgate/tenancy';
import { NoQuery } from '../dto/no-query.dto';
import { ApiProblems } from '../dto/problem.dto';
import {
  ListTokensQuery,
  MintTokenRequest,
  MintTokenResponse,
  TokenDto,
  TokenPageDto,
} from '../dto/tokens.dto';
import { CurrentPrincipal } from '../http/request.decorators';
import { TenantAdminRoute } from '../http/route.decorators';

@ApiTags('admin: tokens')
@ApiBearerAuth()
@Controller('v1/admin/tenants/:id/tokens')
export class AdminTokensController {
  constructor(private readonly tokens: TokenService) {}

  @Post()
  @TenantAdminRoute('admin.token.mint')
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
    @Query() _query: NoQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<MintTokenResponse> {
    return this.tokens.mint(principal, id, body);
  }

  @Get()
  @TenantAdminRoute('admin.token.list')
  @ApiOperation({
    summary: 'List the live minted tokens of the tenant in the path',
    description:
      'Roles: platform_admin, or tenant_admin of that tenant. Tokens neither revoked nor expired, with who ' +
      'minted each (subject, and the minted token it came from); never the tokens themselves.',
  })
  @ApiOkResponse({ type: TokenPageDto })
  @ApiProblems(400, 401, 403, 404, 503)
  async list(@Param('id') id: string, @Query() query: ListTokensQuery): Promise<TokenPageDto> {
    const page = await this.tokens.list(id, query.limit ?? 100, query.cursor);
    return { items: page.items.map(TokenDto.of), nextCursor: page.nextCursor };
  }

  @Delete(':jti')
  @HttpCode(204)
  @TenantAdminRoute('admin.token.revoke')
  @ApiOperation({
    summary: 'Revoke a minted token',
    description:
      'Roles: platform_admin, or tenant_admin of that tenant. The token and every token minted from it, at any ' +
      'depth, are refused from then on (401), on every replica within TENANT_CACHE_TTL_MS.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403, 404, 503)
  revoke(
    @Param('id') id: string,
    @Param('jti') jti: string,
    @Query() _query: NoQuery,
  ): Promise<void> {
    return this.tokens.revoke(id, jti);
  }
}
