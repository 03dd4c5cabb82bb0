import { Body, Controller, Query, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type {
  FetchResponse,
  IndexDescription,
  ListResponse,
  QueryResponse,
  UpdateResponse,
  UpsertResponse,
} from '@pinecone-database/pinecone/dist/pinecone-generated-ts-fetch/db_data';
import { DataCall, DataCallContext, DataRoute } from './pinecone-call';
import { PineconeData } from './pinecone-data.service';
import { DATA_PLANE_PATH } from './pinecone-hosts';

/**
 * Pinecone's data plane at the host an index description hands out
 * (`<PUBLIC_URL>/pinecone/data/<index>`). Thin: each call is translated by PineconeData.
 */
@ApiExcludeController()
@Controller(`${DATA_PLANE_PATH}/:index`)
export class PineconeDataController {
  constructor(private readonly data: PineconeData) {}

  @DataRoute('POST', 'vectors/upsert', 'writer', 'upsert', { heavy: true })
  upsert(@DataCall() call: DataCallContext, @Body() body: unknown): Promise<UpsertResponse> {
    return this.data.upsert(call, body);
  }

  @DataRoute('POST', 'query', 'reader', 'query', { readOnly: true, heavy: true })
  query(@DataCall() call: DataCallContext, @Body() body: unknown): Promise<QueryResponse> {
    return this.data.query(call, body);
  }

  @DataRoute('GET', 'vectors/fetch', 'reader', 'fetch')
  fetch(
    @DataCall() call: DataCallContext,
    @Query() query: Record<string, unknown>,
  ): Promise<FetchResponse | StreamableFile> {
    return this.data.fetch(call, query);
  }

  @DataRoute('GET', 'vectors/list', 'reader', 'list')
  list(
    @DataCall() call: DataCallContext,
    @Query() query: Record<string, unknown>,
  ): Promise<ListResponse> {
    return this.data.list(call, query);
  }

  @DataRoute('POST', 'vectors/delete', 'writer', 'delete', { heavy: true })
  delete(@DataCall() call: DataCallContext, @Body() body: unknown): Promise<Record<string, never>> {
    return this.data.delete(call, body);
  }

  @DataRoute('POST', 'vectors/update', 'writer', 'update')
  update(@DataCall() call: DataCallContext, @Body() body: unknown): Promise<UpdateResponse> {
    return this.data.update(call, body);
  }

  @DataRoute('POST', 'describe_index_stats', 'reader', 'describe_index_stats', { readOnly: true })
  stats(@DataCall() call: DataCallContext, @Body() body: unknown): Promise<IndexDescription> {
    return this.data.stats(call, body);
  }
}
