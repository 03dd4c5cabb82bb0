import {
  BackendDrivers,
  makeTenantScope,
  TenantScope,
  VectorBackendDriver,
} from '@vecgate/isolation';
import { QdrantBackend } from '@vecgate/isolation/backends/qdrant';
import { PineconeBackend } from '@vecgate/isolation/backends/pinecone';
import { MigrationGate } from '@vecgate/isolation/routing/migration-gate';
import { RoutingVectorStore } from '@vecgate/isolation/routing/routing-vector-store';
import { ScopeFence } from '@vecgate/isolation/routing/scope-fence';
import { PlaceCopier } from '@vecgate/tenancy/usecases/migrate-tenant/place-copier';
import { embeddedSandbox } from '../support/embedded-sandbox';
import { newUid, scopeOn, stubOptions as qdrantOptions } from './qdrant/fixtures';
import { QdrantStub } from './qdrant/stub';
import { startStub as startPinecone, stubOptions as pineconeOptions } from './pinecone/fixtures';
import { PineconeStub } from './pinecone/stub';
import { MilvusBackend } from '@vecgate/isolation/backends/milvus/milvus.backend';
import { milvusOptions } from './milvus/fixtures';
import { MilvusStub } from './milvus/stub';

/**
 * A tenant's records copied between the embedded backend and a remote one (the real SDK
 * against its stub) through the store port alone, as a migration does, both ways: the copy's
 * count and digest of ids, vectors and metadata match the source in every namespace, and a
 * single changed value makes them differ.
 */

const KEY = 'wire-test-migration-key';
const DIM = 8;
const NAMESPACES = ['', 'docs'];

let qdrantStub: QdrantStub;
let pineconeStub: PineconeStub;
const milvusStub = new MilvusStub();
let milvusAddress = '';
const sandbox = embeddedSandbox('vg-migration-pairs-');

beforeAll(async () => {
  qdrantStub = await QdrantStub.start({ distributed: true, apiKey: KEY });
  pineconeStub = await startPinecone();
  milvusAddress = await milvusStub.start();
});

afterAll(async () => {
  await qdrantStub.close();
  await pineconeStub.close();
  await milvusStub.stop();
});

function inNamespace(scope: TenantScope, namespace: string): TenantScope {
  const { tenantId, tenantUid, space, placement } = scope;
  return makeTenantScope({ tenantId, tenantUid, space, placement, namespace });
}

function copier(store: RoutingVectorStore): PlaceCopier {
  return new PlaceCopier(store, new MigrationGate(), 1_000_000, new AbortController().signal);
}

/** Copies every namespace from one place to the other and compares their digests. */
async function copyAndCompare(
  store: RoutingVectorStore,
  from: TenantScope,
  to: TenantScope,
): Promise<void> {
  const c = copier(store);
  for (const ns of NAMESPACES) {
    const [source, target] = [inNamespace(from, ns), inNamespace(to, ns)];
    await c.copy(source, target, () => Promise.resolve());
    await c.prune(source, target);
    const [a, b] = [await c.digest(source), await c.digest(target)];
    expect(b).toEqual(a);
    expect(a.count).toBe(120);
  }
}

type Remote = {
  name: string;
  strategy: 'collection' | 'namespace';
  make: () => VectorBackendDriver;
};

const REMOTES: Remote[] = [
  {
    name: 'Qdrant',
    strategy: 'collection',
    make: () => new QdrantBackend(qdrantOptions(qdrantStub.url, { apiKey: KEY })),
  },
  {
    name: 'Pinecone',
    strategy: 'namespace',
    make: () => new PineconeBackend(pineconeOptions(pineconeStub)),
  },
  {
    name: 'Milvus',
    strategy: 'collection',
    make: () => new MilvusBackend(milvusOptions(milvusAddress)),
  },
];

describe.each(REMOTES)('embedded ↔ $name through the port', ({ strategy, make }) => {
  it('copies every namespace there and back with equal digests, and a changed value shows', async () => {
    const embedded = sandbox.open({ workers: 1 });
    const remote = make();
    const store = new RoutingVectorStore(
      new BackendDrivers([embedded, remote]),
      new ScopeFence(),
      new MigrationGate(),
    );
    const uid = newUid();
    const home = scopeOn(embedded, 'partition_key', DIM, 'cosine', uid, 'mover');
    const away = scopeOn(remote, strategy, DIM, 'cosine', uid, 'mover');
    const back = scopeOn(embedded, 'database', DIM, 'cosine', uid, 'mover');
    for (const scope of [home, away, back])
      await (scope === away ? remote : embedded).provision(scope);
    for (const ns of NAMESPACES) {
      await store.upsert(
        inNamespace(home, ns),
        Array.from({ length: 120 }, (_, i) => ({
          id: `r-${i}`,
          values: Float32Array.from({ length: DIM }, (_, d) => (((i + 1) * (d + 3)) % 17) + 0.5),
          metadata: { i, ns, tags: ['x', `t${i % 4}`], nested: { odd: i % 2 === 1 } },
        })),
      );
    }
    await copyAndCompare(store, home, away);
    await copyAndCompare(store, away, back);

    const c = copier(store);
    await store.upsert(inNamespace(back, 'docs'), [
      { id: 'r-7', values: Float32Array.from({ length: DIM }, () => 9), metadata: { i: 7 } },
    ]);
    const [a, b] = [
      await c.digest(inNamespace(away, 'docs')),
      await c.digest(inNamespace(back, 'docs')),
    ];
    expect(b.count).toBe(a.count);
    expect(b.digest).not.toBe(a.digest);
    await remote.close();
  }, 60_000);
});
