import { Injectable } from '@nestjs/common';
import { BadRequestError, ConflictError, NotFoundError } from '@vecgate/core';
import { DEFAULT_NAMESPACE_ALIAS } from '@vecgate/isolation';
import { NamespaceService, VectorService } from '@vecgate/search';
import type { DataCallContext } from './pinecone-call';
import { PineconeIndexes } from './pinecone-indexes.service';
import { requestOf } from './pinecone.requests';

/** A missing namespace named as the client named it, not by the vecgate name it maps to. */
const notFoundAs =
  (namespace: string) =>
  (error: unknown): never => {
    if (error instanceof NotFoundError)
      throw new NotFoundError(`namespace "${namespace}" not found`);
    throw error;
  };

/** A namespace as the data plane's namespace operations answer it (JSON, snake_case). */
export interface NamespaceJson {
  name: string;
  record_count: number;
}

/**
 * Pinecone's namespace operations on one index: each Pinecone namespace is the tenant's vecgate
 * namespace `<index>:<namespace>` (the default one, `__default__`, is `<index>`), so creating,
 * listing and erasing go through the same namespace service, quota and verification as v1.
 */
@Injectable()
export class PineconeNamespaces {
  constructor(
    private readonly indexes: PineconeIndexes,
    private readonly namespaces: NamespaceService,
    private readonly vectors: VectorService,
  ) {}

  /** Every namespace of the index that holds records or was created, the default first. */
  async list({ scope, index, trace }: DataCallContext): Promise<{
    namespaces: NamespaceJson[];
    total_count: number;
  }> {
    await this.indexes.scopeOf(scope, index, undefined);
    const counts = await this.indexes.counted(scope, index, trace);
    const namespaces = [...counts]
      .filter(([name, count]) => name !== DEFAULT_NAMESPACE_ALIAS || count > 0)
      .map(([name, count]) => ({ name, record_count: count }));
    return { namespaces, total_count: namespaces.length };
  }

  async describe(call: DataCallContext, namespace: string): Promise<NamespaceJson> {
    await this.indexes.scopeOf(call.scope, call.index, namespace);
    const counts = await this.indexes.counted(call.scope, call.index, call.trace);
    const name = namespace === '' ? DEFAULT_NAMESPACE_ALIAS : namespace;
    const count = counts.get(name);
    if (count === undefined) throw new NotFoundError(`namespace "${name}" not found`);
    return { name, record_count: count };
  }

  async create({ scope, tier, index }: DataCallContext, raw: unknown): Promise<NamespaceJson> {
    const name = requestOf(raw, 'createNamespace').name;
    if (typeof name !== 'string' || name === '' || name === DEFAULT_NAMESPACE_ALIAS)
      throw new BadRequestError('must name a namespace other than the default', 'name');
    const inIndex = await this.indexes.scopeOf(scope, index, name);
    const { created } = await this.namespaces.create(inIndex, tier);
    if (!created) throw new ConflictError(`namespace "${name}" already exists`);
    return { name, record_count: 0 };
  }

  /**
   * Deletes every record of the namespace and the namespace; the default one is emptied. `{}`:
   * the SDK reads the answer as JSON.
   */
  async delete(call: DataCallContext, namespace: string): Promise<Record<string, never>> {
    const scope = await this.indexes.scopeOf(call.scope, call.index, namespace);
    // The index's own namespace is its default: erasing it would delete the index and hide its
    // other namespaces from the dialect, so it is only emptied.
    if (scope.namespace === call.index)
      await this.vectors.delete(scope, { deleteAll: true }, call.trace);
    else await this.namespaces.erase(scope, call.trace).catch(notFoundAs(namespace));
    return {};
  }
}
