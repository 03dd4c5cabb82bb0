import { Body, Controller, Param, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DataCall, DataCallContext, DataRoute } from './pinecone-call';
import { DATA_PLANE_PATH } from './pinecone-hosts';
import {
  NamespaceJson,
  NamespacePageJson,
  PineconeNamespaces,
} from './pinecone-namespaces.service';

/** Pinecone's namespace operations under an index's host. */
@ApiExcludeController()
@Controller(`${DATA_PLANE_PATH}/:index/namespaces`)
export class PineconeNamespacesController {
  constructor(private readonly namespaces: PineconeNamespaces) {}

  @DataRoute('GET', '', 'reader', 'list_namespaces', { readOnly: true })
  list(
    @DataCall() call: DataCallContext,
    @Query() query: Record<string, unknown>,
  ): Promise<NamespacePageJson> {
    return this.namespaces.list(call, query);
  }

  @DataRoute('POST', '', 'writer', 'create_namespace')
  create(@DataCall() call: DataCallContext, @Body() body: unknown): Promise<NamespaceJson> {
    return this.namespaces.create(call, body);
  }

  @DataRoute('GET', ':namespace', 'reader', 'describe_namespace', { readOnly: true })
  describe(
    @DataCall() call: DataCallContext,
    @Param('namespace') namespace: string,
  ): Promise<NamespaceJson> {
    return this.namespaces.describe(call, namespace);
  }

  @DataRoute('DELETE', ':namespace', 'writer', 'delete_namespace', { heavy: true })
  delete(
    @DataCall() call: DataCallContext,
    @Param('namespace') namespace: string,
  ): Promise<Record<string, never>> {
    return this.namespaces.delete(call, namespace);
  }
}
