import { BackendError, CapacityError } from '@vecgate/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackendHealth, ErasureReport } from '../../ports/backend-admin';
import { DEFAULT_NAMESPACE, TenantScope } from '../../ports/vector.types';
import { PineconeClients } from './pinecone.clients';
import { DedicatedIndexes } from './pinecone.dedicated';
import { guarded } from './pinecone.errors';
import { PineconeOptions } from './pinecone.options';
import { PineconePlace, PineconePlacements } from './pinecone.naming';
import { TenantIndex } from './pinecone.tenant-index';

type SharedPlace = Extract<PineconePlace, { strategy: 'namespace' }>;

/**
 * A tenant's Pinecone places: a namespace of a shared index, or a dedicated index (created,
 * checked and erased by `DedicatedIndexes`). Also opens the place the data plane writes to.
 */
export class PineconePlaces {
  constructor(
    private readonly options: PineconeOptions,
    private readonly placements: PineconePlacements,
    private readonly clients: PineconeClients,
    private readonly dedicated: DedicatedIndexes,
  ) {}

  async checkCapacity(scope: TenantScope): Promise<void> {
    const { space } = scope;
    const place = this.placements.placeOf(scope);
    if (place.strategy === 'dedicated_index') {
      await this.dedicated.checkCapacity(scope, place);
      return;
    }
    const max = this.options.maxNamespacesPerIndex;
    if (max === null) return;
    const { total, includesOwn } = await this.shared(
      scope,
      place,
      DEFAULT_NAMESPACE,
    ).namespaceCount();
    if (!includesOwn && total >= max) {
      throw new CapacityError(
        `the Pinecone index for ${space.dimension}:${space.metric} holds ${total} namespaces; ` +
          `the configured limit is ${max}`,
        'pinecone_namespaces',
      );
    }
  }

  async provision(scope: TenantScope): Promise<void> {
    const place = this.placements.placeOf(scope);
    if (place.strategy === 'dedicated_index') {
      await this.dedicated.provision(scope, place);
      return;
    }
    // A namespace is created by its first write; check the shared index is the one configured.
    const dimension = await this.shared(scope, place, DEFAULT_NAMESPACE).dimension();
    if (dimension !== undefined && dimension !== scope.space.dimension) {
      throw new BackendError(
        `the Pinecone index configured for ${scope.space.dimension}:${scope.space.metric} ` +
          `has dimension ${dimension}`,
      );
    }
  }

  /**
   * Empties every Pinecone namespace of the tenant in its shared index (its own and one per
   * namespace name, found in the index statistics by the uid they all start with), then polls
   * within a bound until none holds a record: deletes are eventually consistent.
   */
  async erase(scope: TenantScope): Promise<ErasureReport> {
    const place = this.placements.placeOf(scope);
    if (place.strategy === 'dedicated_index') return this.dedicated.erase(scope, place);
    const index = this.shared(scope, place, DEFAULT_NAMESPACE);
    const deadline = Date.now() + this.options.eraseTimeoutMs;
    const emptied = new Set<string>();
    let found = await index.tenantNamespaces();
    // The tenant's own namespace always, even before the statistics show it.
    found.set(index.namespace, found.get(index.namespace) ?? 0);
    for (;;) {
      for (const name of found.keys()) {
        if (emptied.has(name)) continue;
        await index.clear(name);
        emptied.add(name);
      }
      found = await index.tenantNamespaces();
      const remaining = [...found.values()].reduce((sum, n) => sum + n, 0);
      if (remaining === 0 || Date.now() >= deadline) {
        return { places: [{ place: `pinecone:${index.place}`, remaining }] };
      }
      await sleep(this.options.pollIntervalMs);
    }
  }

  async health(): Promise<BackendHealth> {
    // The answers (index statistics, index listings) are discarded: they name other tenants.
    const failures: string[] = [];
    for (const index of this.options.sharedIndexes) {
      try {
        await guarded('health check', () =>
          this.clients.index(this.options.apiKey, index.host).describeIndexStats(),
        );
      } catch (err) {
        failures.push(`shared index ${index.dimension}:${index.metric}: ${(err as Error).message}`);
      }
    }
    if (this.options.dedicated) {
      try {
        await this.dedicated.ping();
      } catch (err) {
        failures.push(`control plane: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) return { ok: false, detail: failures.join('; ') };
    return { ok: true };
  }

  /** The data-plane place of the scope's namespace, built from its checked placement. */
  async open(scope: TenantScope): Promise<TenantIndex> {
    const place = this.placements.placeOf(scope);
    if (place.strategy === 'dedicated_index') return this.dedicated.open(scope, place);
    return this.shared(scope, place, scope.namespace);
  }

  private shared(scope: TenantScope, place: SharedPlace, namespace: string): TenantIndex {
    const index = place.index;
    const handle = this.clients.index(this.options.apiKey, index.host);
    return new TenantIndex(handle, scope.tenantUid, namespace, index.name);
  }
}
