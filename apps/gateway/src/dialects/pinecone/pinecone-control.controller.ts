import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { TenantScope } from '@vecgate/isolation';
import type { RequestTrace } from '@vecgate/search';
import { Roles } from '@vecgate/tenancy';
import { Scope, TenantTier, Trace } from '../../http/request.decorators';
import { Audited } from '../../http/route.decorators';
import { IndexModelJson, PineconeIndexes } from './pinecone-indexes.service';
import { pineconePath } from './pinecone-resource';

/**
 * The part of Pinecone's control plane its SDKs need: index discovery (`pc.index(name)`
 * describes the index to learn its host), listing, creation and deletion. Index names are
 * local to the caller's tenant. Documented in docs/dialects/pinecone.md, not in /docs.
 */
@ApiExcludeController()
@Controller('pinecone/indexes')
export class PineconeControlController {
  constructor(private readonly indexes: PineconeIndexes) {}

  @Get()
  @Roles('reader', 'writer', 'tenant_admin')
  @Audited('pinecone.list_indexes', { readOnly: true }, pineconePath)
  list(@Scope() scope: TenantScope): Promise<{ indexes: IndexModelJson[] }> {
    return this.indexes.list(scope);
  }

  @Post()
  @HttpCode(201)
  @Roles('writer')
  @Audited('pinecone.create_index', {}, pineconePath)
  create(
    @Scope() scope: TenantScope,
    @TenantTier() tier: string,
    @Body() body: unknown,
  ): Promise<IndexModelJson> {
    return this.indexes.create(scope, tier, body);
  }

  @Get(':index')
  @Roles('reader', 'writer', 'tenant_admin')
  @Audited('pinecone.describe_index', { readOnly: true }, pineconePath)
  describe(@Scope() scope: TenantScope, @Param('index') index: string): Promise<IndexModelJson> {
    return this.indexes.describe(scope, index);
  }

  @Delete(':index')
  @HttpCode(202)
  @Roles('writer')
  @Audited('pinecone.delete_index', { heavy: true }, pineconePath)
  async delete(
    @Scope() scope: TenantScope,
    @Param('index') index: string,
    @Trace() trace: RequestTrace,
  ): Promise<void> {
    await this.indexes.delete(scope, index, trace);
  }
}
