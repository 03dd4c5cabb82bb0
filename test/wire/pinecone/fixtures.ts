import { randomBytes } from 'node:crypto';
import { makeTenantScope, StrategyName, TenantScope, VectorSpace } from '@vecgate/isolation';
import {
  PineconeBackend,
  PineconeBackendDeps,
} from '@vecgate/isolation/backends/pinecone/pinecone.backend';
import { PineconeOptions } from '@vecgate/isolation/backends/pinecone/pinecone.options';
import { PineconeStub } from './stub';

export const PROJECT_KEY = 'pcsk_project_key_0123456789';

/** Shared indexes the stub serves: name, dimension, Pinecone metric. */
export const SHARED = [
  { name: 'vg-shared-4-cosine', dimension: 4, metric: 'cosine' },
  { name: 'vg-shared-4-euclid', dimension: 4, metric: 'euclidean' },
  { name: 'vg-shared-3-dot', dimension: 3, metric: 'dotproduct' },
  { name: 'vg-shared-8-cosine', dimension: 8, metric: 'cosine' },
] as const;

const GATEWAY_METRIC = { cosine: 'cosine', euclidean: 'euclidean', dotproduct: 'dot' } as const;

export async function startStub(): Promise<PineconeStub> {
  const stub = await PineconeStub.start();
  for (const index of SHARED) await stub.addIndex(index.name, index.dimension, index.metric);
  return stub;
}

/** Options pointing at the stub: no client retries and short deadlines, so tests stay fast. */
export function stubOptions(
  stub: PineconeStub,
  overrides: Partial<PineconeOptions> = {},
): PineconeOptions {
  return {
    apiKey: PROJECT_KEY,
    controllerHost: stub.controlUrl,
    sharedIndexes: SHARED.map((i) => ({
      dimension: i.dimension,
      metric: GATEWAY_METRIC[i.metric],
      name: i.name,
      host: stub.index(i.name).url,
    })),
    dedicated: {
      spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
      indexPrefix: 'vg-',
      credentials: 'project',
      maxIndexes: 50,
      readyTimeoutMs: 2000,
    },
    tenantKeys: { cacheTtlMs: 0 },
    maxNamespacesPerIndex: 1000,
    requestTimeoutMs: 1500,
    maxRetries: 0,
    eraseTimeoutMs: 300,
    pollIntervalMs: 5,
    ...overrides,
  };
}

export function newUid(): string {
  return randomBytes(16).toString('hex');
}

/** Backends made by a test file, closed after it. */
export class Backends {
  private readonly made: PineconeBackend[] = [];

  make(options: PineconeOptions, deps?: PineconeBackendDeps): PineconeBackend {
    const backend = new PineconeBackend(options, deps);
    this.made.push(backend);
    return backend;
  }

  async closeAll(): Promise<void> {
    for (const b of this.made.splice(0)) await b.close();
  }
}

/** Plans, checks and provisions a tenant the way the tenancy module does. */
export async function createTenant(
  backend: PineconeBackend,
  strategy: StrategyName,
  space: VectorSpace,
  tenantUid = newUid(),
): Promise<TenantScope> {
  const tenantId = `t-${tenantUid.slice(0, 8)}`;
  const placement = backend.plan({ tenantId, tenantUid, strategy, space });
  const scope = makeTenantScope({ tenantId, tenantUid, placement, space });
  await backend.checkCapacity(scope);
  await backend.provision(scope);
  return scope;
}

/** A scope whose placement was altered (a damaged or forged registry row). */
export function withLocation(scope: TenantScope, location: Record<string, string>): TenantScope {
  const { tenantId, tenantUid, space, namespace } = scope;
  return makeTenantScope({
    tenantId,
    tenantUid,
    space,
    namespace,
    placement: { ...scope.placement, location },
  });
}

/** The same tenant's scope in another of its namespaces. */
export function inNamespace(scope: TenantScope, namespace: string): TenantScope {
  const { tenantId, tenantUid, space, placement } = scope;
  return makeTenantScope({ tenantId, tenantUid, space, placement, namespace });
}

/** The rejection of a call (synchronous throws included), or a failure if it resolved. */
export async function rejectionOf(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
