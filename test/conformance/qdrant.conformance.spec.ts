import { QdrantClient } from '@qdrant/js-client-rest';
import { randomBytes } from 'node:crypto';
import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { makeTenantScope, TenantScope } from '@vecgate/isolation';
import { QDRANT_DEFAULTS, QdrantBackend } from '@vecgate/isolation/backends/qdrant';
import { describeUnless, noContainerRuntime } from '../support/container-runtime';
import { describeIsolationConformance } from './isolation.conformance';

/**
 * The isolation suite against a real Qdrant (the qdrant/qdrant image) through testcontainers,
 * with JWT RBAC on and cluster mode enabled on a single node, so custom shard keys (the
 * partition strategy) run too. Without a container runtime every test is reported skipped,
 * with the reason printed.
 */

jest.setTimeout(240_000);

const IMAGE = process.env.VECGATE_TEST_QDRANT_IMAGE ?? 'qdrant/qdrant:v1.18.3';
const API_KEY = 'conformance-qdrant-api-key-0123456789';

interface LiveQdrant {
  readonly url: string;
  readonly distributed: boolean;
  stop(): Promise<void>;
}

const NO_RUNTIME = noContainerRuntime();
let live: Promise<LiveQdrant> | undefined;

/** One container for the whole file, started on first use. */
function liveQdrant(): Promise<LiveQdrant> {
  live ??= (async () => {
    const container: StartedTestContainer = await new GenericContainer(IMAGE)
      .withEnvironment({
        QDRANT__SERVICE__API_KEY: API_KEY,
        QDRANT__SERVICE__JWT_RBAC: 'true',
        // A one-node cluster: custom sharding needs distributed mode.
        QDRANT__CLUSTER__ENABLED: 'true',
        QDRANT_URI: 'http://127.0.0.1:6335',
        QDRANT__TELEMETRY_DISABLED: 'true',
      })
      .withExposedPorts(6333)
      .withWaitStrategy(Wait.forHttp('/readyz', 6333).forStatusCode(200))
      .withStartupTimeout(180_000)
      .start();
    const url = `http://${container.getHost()}:${container.getMappedPort(6333)}`;
    const probe = new QdrantBackend(options(url));
    const distributed = (await probe.health()).detail === 'distributed mode';
    return { url, distributed, stop: async () => void (await container.stop()) };
  })();
  return live;
}

function options(url: string) {
  const spaces = [8, 12].map((dimension) => ({ dimension, metric: 'cosine' as const }));
  return {
    url,
    apiKey: API_KEY,
    sharedCollections: spaces.map((s) => ({ ...s, collection: `conf_shared_${s.dimension}` })),
    shardedCollections: spaces.map((s) => ({ ...s, collection: `conf_sharded_${s.dimension}` })),
    ...QDRANT_DEFAULTS,
  };
}

afterAll(async () => {
  await (await live)?.stop();
});

describeIsolationConformance(
  'qdrant',
  {
    strategies: ['collection', 'partition_key', 'partition'],
    skip: NO_RUNTIME,
    namespaces: true,
    listOrder: 'stable',
  },
  async () => {
    const qdrant = await liveQdrant();
    // The container runs in cluster mode, so custom shard keys (the partition strategy) work.
    if (!qdrant.distributed) throw new Error('the Qdrant container did not start in cluster mode');
    const driver = new QdrantBackend(options(qdrant.url));
    return {
      driver,
      cleanup: () => driver.close(),
    };
  },
);

// --- live checks of minted Qdrant tokens ----------------------------------------------------

const describeLive = describeUnless(NO_RUNTIME, 'live Qdrant token checks');

describeLive('minted Qdrant tokens on a live Qdrant with JWT RBAC', () => {
  let driver: QdrantBackend | undefined;
  const scopes: TenantScope[] = [];

  beforeAll(async () => {
    const qdrant = await liveQdrant();
    driver = new QdrantBackend(options(qdrant.url));
  });

  afterAll(async () => {
    for (const scope of scopes) await driver?.erase(scope);
  });

  async function tenant(on: QdrantBackend): Promise<TenantScope> {
    const tenantUid = randomBytes(16).toString('hex');
    const space = { dimension: 8, metric: 'cosine' } as const;
    const placement = on.plan({ tenantId: 'live', tenantUid, strategy: 'collection', space });
    const scope = makeTenantScope({ tenantId: 'live', tenantUid, placement, space });
    await on.provision(scope);
    scopes.push(scope);
    return scope;
  }

  it('a token opens only its tenant’s collection, in its mode, until the tenant is erased', async () => {
    if (!driver) throw new Error('no live Qdrant');
    const a = await tenant(driver);
    const b = await tenant(driver);
    await driver.upsert(a, [{ id: 'one', values: new Float32Array(8).fill(0.5) }]);
    const read = await driver.mintToken(a, { access: 'r', ttlSeconds: 300 });
    const asReader = new QdrantClient({
      url: read.url,
      headers: { authorization: `Bearer ${read.token}` },
      checkCompatibility: false,
    });
    await expect(asReader.count(read.collection, { exact: true })).resolves.toEqual({ count: 1 });
    await expect(asReader.count(`vg_t_${b.tenantUid}`)).rejects.toMatchObject({ status: 403 });
    await expect(
      asReader.upsert(read.collection, { wait: true, points: [] }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(asReader.getCollections()).resolves.toEqual({
      collections: [{ name: read.collection }],
    });
    await driver.erase(a);
    // The grant point is gone, so Qdrant's value_exists check refuses the token.
    const status = await asReader.count(read.collection).then(
      () => 200,
      (err: { status?: number }) => err.status,
    );
    expect([401, 403]).toContain(status);
  });
});
