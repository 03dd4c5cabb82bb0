import {
  BackendHealth,
  ErasureReport,
  PlacementRequest,
  StrategyCapability,
} from '../../ports/backend-admin';
import { RecordsDriver } from '../../ports/records-driver';
import { Placement, TenantScope } from '../../ports/vector.types';
import { PineconeClients } from './pinecone.clients';
import { DedicatedIndexes } from './pinecone.dedicated';
import { PineconeOptions } from './pinecone.options';
import { PineconePlacements } from './pinecone.naming';
import { PineconePlaces } from './pinecone.places';
import { PineconeRecords } from './pinecone.records';
import { EnvFileSecretProvider, PineconeSecretProvider } from './pinecone.secrets';

export interface PineconeBackendDeps {
  /** Per-tenant API keys; by default the environment or mounted secret files. */
  readonly secrets?: PineconeSecretProvider;
  /** The fetch under the Pinecone client (the global one by default). */
  readonly fetch?: typeof fetch;
}

/**
 * The Pinecone backend. `namespace`: a shared index per (dimension, metric), a namespace per
 * tenant. `dedicated_index`: an index per tenant, in the gateway's project or the tenant's own.
 * Places (`PineconePlaces`) and the data plane (`PineconeRecords`) both start from the
 * placement checked against the scope's uid (`PineconePlacements.placeOf`).
 */
export class PineconeBackend extends RecordsDriver {
  readonly name = 'pinecone' as const;
  readonly capabilities: readonly StrategyCapability[];
  /** Exposed for tests: clients and handles must not multiply with requests. */
  readonly clients: PineconeClients;
  private readonly placements: PineconePlacements;
  private readonly places: PineconePlaces;
  protected readonly records: PineconeRecords;

  constructor(options: PineconeOptions, deps: PineconeBackendDeps = {}) {
    super();
    this.clients = new PineconeClients({
      controllerHost: options.controllerHost,
      requestTimeoutMs: options.requestTimeoutMs,
      maxRetries: options.maxRetries,
      apiVersion: options.apiVersion,
      fetch: deps.fetch,
    });
    const secrets =
      deps.secrets ??
      new EnvFileSecretProvider({
        directory: options.tenantKeys.directory,
        cacheTtlMs: options.tenantKeys.cacheTtlMs,
      });
    this.placements = new PineconePlacements(options);
    const dedicated = new DedicatedIndexes(options, this.clients, secrets);
    this.places = new PineconePlaces(options, this.placements, this.clients, dedicated);
    this.records = new PineconeRecords(this.places);
    const capabilities: StrategyCapability[] = [
      {
        strategy: 'namespace',
        limit: options.maxNamespacesPerIndex,
        limitName: 'namespaces per shared index',
      },
    ];
    if (options.dedicated) {
      capabilities.push({
        strategy: 'dedicated_index',
        limit: options.dedicated.maxIndexes,
        limitName: 'indexes per Pinecone project',
      });
    }
    this.capabilities = capabilities;
  }

  plan(request: PlacementRequest): Placement {
    return this.placements.plan(request);
  }

  async checkCapacity(scope: TenantScope): Promise<void> {
    return this.places.checkCapacity(scope);
  }

  async provision(scope: TenantScope): Promise<void> {
    return this.places.provision(scope);
  }

  async erase(scope: TenantScope): Promise<ErasureReport> {
    return this.places.erase(scope);
  }

  health(): Promise<BackendHealth> {
    return this.places.health();
  }

  close(): Promise<void> {
    this.clients.clear();
    return Promise.resolve();
  }
}
