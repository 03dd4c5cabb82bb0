import { Injectable } from '@nestjs/common';
import { BadRequestError, ConflictError, NotFoundError } from '@vecgate/core';
import type { TenantScope } from '@vecgate/isolation';
import { NamespaceService, RequestTrace } from '@vecgate/search';
import { NamespaceRegistry, scopeInNamespace } from '@vecgate/tenancy';
import { PineconeHosts } from './pinecone-hosts';
import {
  indexName,
  isIndexNamespace,
  pineconeNamespace,
  vecgateNamespace,
} from './pinecone.naming';
import { requestOf } from './pinecone.requests';
import { checkIndexSpace, PineconeMetric, pineconeMetric } from './pinecone.translate';

/** An index description as the control plane answers it (JSON, snake_case). */
export interface IndexModelJson {
  name: string;
  dimension: number;
  metric: PineconeMetric;
  host: string;
  deletion_protection: 'disabled';
  tags: Record<string, string>;
  spec: {
    serverless: {
      cloud: 'aws';
      region: 'vecgate';
      read_capacity: { mode: 'OnDemand'; status: { state: 'Ready' } };
    };
  };
  status: { ready: true; state: 'Ready' };
  vector_type: 'dense';
}

/**
 * The tenant's Pinecone indexes. An index is the vecgate namespace of its name, registered in
 * the namespace registry when it is created (or by a write through the v1 API); its Pinecone
 * namespaces are the registered names `<index>:<namespace>`. Every index has the tenant's
 * dimension and metric.
 */
@Injectable()
export class PineconeIndexes {
  constructor(
    private readonly registry: NamespaceRegistry,
    private readonly namespaces: NamespaceService,
    private readonly hosts: PineconeHosts,
  ) {}

  async list(scope: TenantScope): Promise<{ indexes: IndexModelJson[] }> {
    const entries = await this.registry.list(scope.tenantUid);
    const names = entries.map((e) => e.name).filter(isIndexNamespace);
    return { indexes: names.map((name) => this.model(scope, name)) };
  }

  async describe(scope: TenantScope, name: unknown): Promise<IndexModelJson> {
    return this.model(scope, await this.existing(scope, name));
  }

  /**
   * 201 with the index; 409 `ALREADY_EXISTS` when the tenant has it; 400 for another space, or
   * for a field Pinecone's API does not define (a misspelt `deletionProtection` must not create
   * an index the caller believes protected).
   */
  async create(scope: TenantScope, tier: string, raw: unknown): Promise<IndexModelJson> {
    const body = requestOf(raw, 'createIndex');
    const name = indexName(body.name);
    checkIndexSpace(body, scope.space);
    const { created } = await this.namespaces.create(scopeInNamespace(scope, name), tier);
    if (!created) throw new ConflictError(`index "${name}" already exists`);
    return this.model(scope, name);
  }

  /**
   * Erases every namespace of the index, each deleted and verified like `DELETE
   * /v1/namespaces/{name}`, the index's own (its default namespace) last, so an interrupted
   * deletion leaves the index listed and is finished by repeating it.
   */
  async delete(scope: TenantScope, name: unknown, trace: RequestTrace): Promise<void> {
    const index = await this.existing(scope, name);
    const entries = await this.registry.list(scope.tenantUid);
    const inner = entries
      .map((e) => e.name)
      .filter((n) => pineconeNamespace(index, n) !== undefined);
    for (const namespace of inner.filter((n) => n !== index)) {
      await this.namespaces.erase(scopeInNamespace(scope, namespace), trace);
    }
    await this.namespaces.erase(scopeInNamespace(scope, index), trace);
  }

  /** The scope of a data-plane call: the index must exist; its namespace maps as documented. */
  async scopeOf(scope: TenantScope, name: unknown, namespace: unknown): Promise<TenantScope> {
    const index = await this.existing(scope, name);
    if (namespace !== undefined && typeof namespace !== 'string')
      throw new BadRequestError('must be a string', 'namespace');
    return scopeInNamespace(scope, vecgateNamespace(index, namespace ?? ''));
  }

  /** Pinecone namespaces of the index with their counts (the default as `__default__`). */
  async counted(
    scope: TenantScope,
    index: string,
    trace: RequestTrace,
  ): Promise<Map<string, number>> {
    const all = await this.namespaces.counted(scope, { signal: trace.signal });
    const counts = new Map<string, number>();
    for (const view of all) {
      const namespace = pineconeNamespace(index, view.name);
      if (namespace !== undefined)
        counts.set(namespace === '' ? '__default__' : namespace, view.vectors);
    }
    return counts;
  }

  private async existing(scope: TenantScope, name: unknown): Promise<string> {
    const index = indexName(name);
    if (!(await this.registry.has(scope.tenantUid, index)))
      throw new NotFoundError(`index "${index}" not found`);
    return index;
  }

  private model(scope: TenantScope, name: string): IndexModelJson {
    return {
      name,
      dimension: scope.space.dimension,
      metric: pineconeMetric(scope.space.metric),
      host: this.hosts.hostOf(name),
      deletion_protection: 'disabled',
      tags: {},
      spec: {
        serverless: {
          cloud: 'aws',
          region: 'vecgate',
          read_capacity: { mode: 'OnDemand', status: { state: 'Ready' } },
        },
      },
      status: { ready: true, state: 'Ready' },
      vector_type: 'dense',
    };
  }
}
