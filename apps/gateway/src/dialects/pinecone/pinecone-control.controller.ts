import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { RequestState } from '@vecgate/core';
import type { TenantScope } from '@vecgate/isolation';
import type { RequestTrace } from '@vecgate/search';
import { Roles } from '@vecgate/tenancy';
import { RequestStateParam, Scope, TenantTier, Trace } from '../../http/request.decorators';
import { Audited } from '../../http/route.decorators';
import { controlPlaneError } from './pinecone.errors';
import { IndexModelJson, PineconeIndexes } from './pinecone-indexes.service';
import { recordPath } from './pinecone-resource';

const INDEX_PATH = '/pinecone/indexes/:index';

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
  @Audited('pinecone.list_indexes', { readOnly: true }, controlPlaneError)
  list(@Scope() scope: TenantScope): Promise<{ indexes: IndexModelJson[] }> {
    return this.indexes.list(scope);
  }

  @Post()
  @HttpCode(201)
  @Roles('writer')
  @Audited('pinecone.create_index', {}, controlPlaneError)
  create(
    @Scope() scope: TenantScope,
    @TenantTier() tier: string,
    @Body() body: unknown,
  ): Promise<IndexModelJson> {
    return this.indexes.create(scope, tier, body);
  }

  @Get(':index')
  @Roles('reader', 'writer', 'tenant_admin')
  @Audited('pinecone.describe_index', { readOnly: true }, controlPlaneError)
  describe(
    @Scope() scope: TenantScope,
    @Param('index') index: string,
    @RequestStateParam() state: RequestState,
  ): Promise<IndexModelJson> {
    recordPath(state, index, INDEX_PATH);
    return this.indexes.describe(scope, index);
  }

  @Delete(':index')
  @HttpCode(202)
  @Roles('writer')
  @Audited('pinecone.delete_index', { heavy: true }, controlPlaneError)
  async delete(
    @Scope() scope: TenantScope,
    @Param('index') index: string,
    @RequestStateParam() state: RequestState,
    @Trace() trace: RequestTrace,
  ): Promise<void> {
    recordPath(state, index, INDEX_PATH);
    await this.indexes.delete(scope, index, trace);
  }
}
