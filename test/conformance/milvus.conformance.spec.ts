// The SDK's bulk writer (never used by the adapter) pulls an ES-module-only `uuid` through
// parquet, which Jest's CommonJS runtime cannot load; see test/wire/milvus.wire.spec.ts.
jest.mock('@shanghaikid/parquetjs', () => ({}));

import { MilvusBackend } from '@vecgate/isolation/backends/milvus/milvus.backend';
import { MILVUS_DEFAULT_LIMITS } from '@vecgate/isolation/backends/milvus/milvus.options';
import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { noContainerRuntime } from '../support/container-runtime';
import { describeIsolationConformance } from './isolation.conformance';

/** Milvus standalone with embedded etcd and local storage; override to test another release. */
const IMAGE = process.env.VECGATE_TEST_MILVUS_IMAGE ?? 'milvusdb/milvus:v2.6.9';
const STARTUP_MS = 180_000;

async function startMilvus(): Promise<StartedTestContainer> {
  return new GenericContainer(IMAGE)
    .withCommand(['milvus', 'run', 'standalone'])
    .withEnvironment({
      ETCD_USE_EMBED: 'true',
      ETCD_DATA_DIR: '/var/lib/milvus/etcd',
      COMMON_STORAGETYPE: 'local',
      DEPLOY_MODE: 'STANDALONE',
    })
    .withSecurityOpt('seccomp=unconfined')
    .withExposedPorts(19530, 9091)
    .withWaitStrategy(Wait.forHttp('/healthz', 9091).forStatusCode(200))
    .withStartupTimeout(STARTUP_MS)
    .start();
}

// The setup hook pulls and starts Milvus when a runtime exists: allow for it (no effect when
// the suite is skipped, which takes well under a second).
jest.setTimeout(STARTUP_MS + 60_000);

describeIsolationConformance(
  'milvus',
  {
    strategies: ['database', 'collection', 'partition', 'partition_key'],
    skip: noContainerRuntime(),
    namespaces: true,
  },
  async () => {
    const container = await startMilvus();
    const driver = new MilvusBackend({
      address: `${container.getHost()}:${container.getMappedPort(19530)}`,
      database: 'default',
      sharedCollections: { '8:cosine': 'vg_conf_8_cosine', '12:cosine': 'vg_conf_12_cosine' },
      indexType: 'AUTOINDEX',
      limits: MILVUS_DEFAULT_LIMITS,
      timeoutMs: 30_000,
      maxRetries: 3,
      loadTimeoutMs: 120_000,
    });
    return {
      driver,
      spaces: {
        primary: { dimension: 8, metric: 'cosine' },
        other: { dimension: 12, metric: 'cosine' },
      },
      // No settle(): every read is Strong, so the suite also checks read-after-write.
      cleanup: async () => {
        await driver.close();
        await container.stop();
      },
    };
  },
);
