import type { IndexModel, Pinecone } from '@pinecone-database/pinecone';
import { BackendError, CapacityError, ConflictError, UnavailableError } from '@vecgate/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErasureReport } from '../../ports/backend-admin';
import { MetricName, TenantScope, VectorSpace } from '../../ports/vector.types';
import { PineconeClients } from './pinecone.clients';
import { guarded, isNotFound, pineconeStatus, toGatewayError } from './pinecone.errors';
import { OWNER_TAG, PineconePlace, TENANT_UID } from './pinecone.naming';
import { apiKeyFor, PineconeSecretProvider } from './pinecone.secrets';
import { TenantIndex } from './pinecone.tenant-index';
import { PineconeOptions } from './pinecone.options';

type DedicatedPlace = Extract<PineconePlace, { strategy: 'dedicated_index' }>;

/** Whose index: a tenant scope, or a tenant being planned (capacity check). */
export interface IndexOwner {
  readonly tenantId: string;
  readonly tenantUid: string;
  readonly space: VectorSpace;
}

export const PINECONE_METRIC: Record<MetricName, string> = {
  cosine: 'cosine',
  euclidean: 'euclidean',
  dot: 'dotproduct',
};

/**
 * The `dedicated_index` strategy's control plane: an index per tenant, in the gateway's project
 * or in the tenant's own (its key from the secret provider). An index is created tagged with
 * its owner's uid and is used, awaited or deleted only when that tag matches, so a hash
 * collision or a foreign index of the same name is refused, never shared or removed.
 */
export class DedicatedIndexes {
  /** Verified hosts by index name (a name is derived from one uid only). */
  private readonly hosts = new Map<string, string>();

  constructor(
    private readonly options: PineconeOptions,
    private readonly clients: PineconeClients,
    private readonly secrets: PineconeSecretProvider,
  ) {}

  /** The data-plane place of the scope's namespace in its index (host checked once, then cached). */
  async open(scope: TenantScope, place: DedicatedPlace): Promise<TenantIndex> {
    const key = await this.keyOf(scope, place);
    let host = this.hosts.get(place.indexName);
    if (!host) {
      const model = await this.describe(key, place.indexName, 'resolve index');
      if (!model) {
        throw new BackendError(`the dedicated Pinecone index of tenant ${scope.tenantId} is gone`);
      }
      this.assertOwned(model, scope);
      if (!model.status?.ready) {
        throw new UnavailableError(
          `the dedicated Pinecone index of tenant ${scope.tenantId} is not ready yet`,
        );
      }
      host = model.host;
      this.hosts.set(place.indexName, host);
    }
    const handle = this.clients.index(key, host);
    return new TenantIndex(handle, scope.tenantUid, scope.namespace, place.indexName);
  }

  /** Refuses, before anything is created, a colliding name or a project at its index limit. */
  async checkCapacity(scope: IndexOwner, place: DedicatedPlace): Promise<void> {
    const key = await this.keyOf(scope, place);
    const existing = await this.describe(key, place.indexName, 'capacity check');
    if (existing) {
      this.assertOwned(existing, scope);
      return;
    }
    const max = this.options.dedicated?.maxIndexes ?? null;
    if (place.credentials !== 'project' || max === null) return;
    const list = await guarded('capacity check', () => this.client(key).listIndexes());
    const count = list.indexes?.length ?? 0;
    if (count >= max) {
      throw new CapacityError(
        `the Pinecone project holds ${count} indexes; the configured limit is ${max}`,
        'pinecone_indexes',
      );
    }
  }

  /** Creates the index when missing and waits until it is ready. Safe to repeat. */
  async provision(scope: IndexOwner, place: DedicatedPlace): Promise<void> {
    const dedicated = this.options.dedicated;
    if (!dedicated) throw new BackendError('the Pinecone dedicated_index strategy is not enabled');
    const key = await this.keyOf(scope, place);
    const client = this.client(key);
    let model = await this.describe(key, place.indexName, 'provision');
    if (!model) {
      try {
        await client.createIndex({
          name: place.indexName,
          dimension: scope.space.dimension,
          metric: PINECONE_METRIC[scope.space.metric],
          spec: dedicated.spec,
          vectorType: 'dense',
          deletionProtection: 'disabled',
          tags: { [OWNER_TAG]: scope.tenantUid },
          waitUntilReady: false,
        });
      } catch (err) {
        // A concurrent or earlier attempt created it: whose it is gets checked just below.
        if (pineconeStatus(err) !== 409) throw toGatewayError(err, 'create index');
      }
      model = await this.describe(key, place.indexName, 'provision');
    }
    const deadline = Date.now() + dedicated.readyTimeoutMs;
    for (;;) {
      if (!model) throw new BackendError('the dedicated Pinecone index vanished while created');
      this.assertOwned(model, scope);
      if (model.status?.ready) break;
      if (Date.now() >= deadline) {
        throw new UnavailableError(
          `the dedicated Pinecone index of tenant ${scope.tenantId} was not ready in time`,
          30,
        );
      }
      await sleep(this.options.pollIntervalMs);
      model = await this.describe(key, place.indexName, 'provision');
    }
    this.hosts.set(place.indexName, model.host);
  }

  /** Deletes the tenant's index, then waits until Pinecone no longer lists it. Idempotent. */
  async erase(scope: IndexOwner, place: DedicatedPlace): Promise<ErasureReport> {
    const key = await this.keyOf(scope, place);
    const client = this.client(key);
    const report = (remaining: number): ErasureReport => ({
      places: [{ place: `pinecone:${place.indexName}`, remaining }],
    });
    let model = await this.describe(key, place.indexName, 'erase');
    if (model && ownerOf(model) !== scope.tenantUid && TENANT_UID.test(ownerOf(model) ?? '')) {
      // Another tenant's index under a colliding name: none of this tenant's records can be
      // there (it is never opened for it), so there is nothing to erase and nothing to touch.
      return report(0);
    }
    if (model) {
      this.assertOwned(model, scope);
      try {
        await client.deleteIndex(place.indexName);
      } catch (err) {
        if (!isNotFound(err)) throw toGatewayError(err, 'delete index');
      }
      this.hosts.delete(place.indexName);
      this.clients.forgetHost(model.host);
    }
    const deadline = Date.now() + this.options.eraseTimeoutMs;
    while (model) {
      if (Date.now() >= deadline) return report(1);
      await sleep(this.options.pollIntervalMs);
      model = await this.describe(key, place.indexName, 'erase');
    }
    return report(0);
  }

  /** The control plane's answer for reachability (an index listing, kept server-side). */
  async ping(): Promise<void> {
    await guarded('health check', () => this.client(this.options.apiKey).listIndexes());
  }

  private client(key: string): Pinecone {
    return this.clients.client(key);
  }

  private keyOf(scope: IndexOwner, place: DedicatedPlace): Promise<string> {
    return apiKeyFor(place.credentials, scope.tenantUid, this.options.apiKey, this.secrets);
  }

  /** The index, or undefined when Pinecone does not know it. */
  private async describe(
    key: string,
    name: string,
    action: string,
  ): Promise<IndexModel | undefined> {
    try {
      return await this.client(key).describeIndex(name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw toGatewayError(err, action);
    }
  }

  private assertOwned(model: IndexModel, scope: IndexOwner): void {
    if (ownerOf(model) !== scope.tenantUid) {
      throw new ConflictError(
        `a Pinecone index named ${model.name} exists and was not created for tenant ` +
          `${scope.tenantId} (name collision or foreign index); refusing to use or delete it`,
      );
    }
    if (
      model.dimension !== scope.space.dimension ||
      model.metric !== PINECONE_METRIC[scope.space.metric]
    ) {
      throw new ConflictError(
        `the Pinecone index ${model.name} does not have tenant ${scope.tenantId}'s dimension and metric`,
      );
    }
  }
}

function ownerOf(model: IndexModel): string | undefined {
  return model.tags?.[OWNER_TAG];
}
