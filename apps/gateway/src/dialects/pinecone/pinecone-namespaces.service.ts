import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@vecgate/core';
import {
  DEFAULT_NAMESPACE_ALIAS,
  listCursor,
  OpenedListPage,
  openListPage,
  refuseCursor,
  TenantScope,
} from '@vecgate/isolation';
import { NamespaceService, VectorService } from '@vecgate/search';
import type { DataCallContext } from './pinecone-call';
import { PineconeIndexes } from './pinecone-indexes.service';
import { createdNamespaceName, indexName } from './pinecone.naming';
import { PAGINATION_TOKEN_NAMES, queryLimit, requestOf } from './pinecone.requests';

/** Pinecone's page of namespaces when the call names no `limit`. */
const DEFAULT_LIMIT = 100;
/** Marks a token's position as a namespace name, so a `vectors/list` token is not one. */
const POSITION_TAG = 'namespace:';

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

/** A page of `listNamespaces`: `pagination.next` while namespaces remain after it. */
export interface NamespacePageJson {
  namespaces: NamespaceJson[];
  pagination?: { next: string };
  /** How many namespaces of the index match the prefix, on every page. */
  total_count: number;
}

/**
 * The page a list asks for, by vecgate's page rules: `limit` 1 to 1,000 (digits only, as a
 * query string carries it), a bounded `prefix`, and a token this index's listing made.
 */
function pageAsked(scope: TenantScope, query: Record<string, unknown>): OpenedListPage {
  const { limit, prefix, paginationToken } = query;
  try {
    const page = openListPage(scope, {
      limit: limit === undefined ? DEFAULT_LIMIT : queryLimit(limit),
      prefix: prefix as string | undefined,
      cursor: paginationToken as string | undefined,
      includeValues: false,
      includeMetadata: false,
    });
    if (page.after !== undefined && !page.after.startsWith(POSITION_TAG))
      refuseCursor('made for another listing');
    return page;
  } catch (error) {
    return PAGINATION_TOKEN_NAMES(error);
  }
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

  /**
   * The namespaces of the index that hold records or were created, in Pinecone's order (by
   * bytes: names are ASCII), `limit` at a time from the one after the token's, those starting
   * with `prefix` only. The token names the last namespace answered, bound to the tenant and
   * index like a `vectors/list` token; a namespace created or deleted between pages is seen or
   * not, as in Pinecone.
   */
  async list(
    { scope, index, trace }: DataCallContext,
    raw: Record<string, unknown>,
  ): Promise<NamespacePageJson> {
    const query = requestOf(raw, 'listNamespaces');
    const inIndex = await this.indexes.scopeOf(scope, index, undefined);
    const page = pageAsked(inIndex, query);
    const counts = await this.indexes.counted(scope, index, trace);
    const after = page.after?.slice(POSITION_TAG.length);
    const matching = [...counts]
      .filter(([name, count]) => name !== DEFAULT_NAMESPACE_ALIAS || count > 0)
      .filter(([name]) => name.startsWith(page.prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const rest = matching.filter(([name]) => after === undefined || name > after);
    const namespaces = rest
      .slice(0, page.limit)
      .map(([name, count]) => ({ name, record_count: count }));
    const last = namespaces.at(-1);
    const more = rest.length > page.limit && last !== undefined;
    return {
      namespaces,
      ...(more ? { pagination: { next: listCursor(inIndex, POSITION_TAG + last.name) } } : {}),
      total_count: matching.length,
    };
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
    const name = createdNamespaceName(indexName(index), requestOf(raw, 'createNamespace').name);
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
