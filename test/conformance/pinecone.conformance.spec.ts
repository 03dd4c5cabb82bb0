import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { PineconeBackend } from '@vecgate/isolation/backends/pinecone/pinecone.backend';
import { noContainerRuntime } from '../support/container-runtime';
import { describeIsolationConformance } from './isolation.conformance';

/**
 * The isolation suite against Pinecone Local: the `pinecone-index` image emulates one index
 * per container (data plane only, no control plane, so the `dedicated_index` strategy cannot
 * run there; it runs against the wire stub in test/wire). Skipped, with the reason printed,
 * where no container runtime answers.
 */
const IMAGE =
  process.env.VECGATE_PINECONE_LOCAL_IMAGE ?? 'ghcr.io/pinecone-io/pinecone-index:latest';
const PORT = 5081;

// Pulling the image on a cold machine takes longer than the default hook timeout.
jest.setTimeout(180_000);

const SUITE = 'pinecone (Pinecone Local, namespace strategy)';

describeIsolationConformance(
  SUITE,
  { strategies: ['namespace'], skip: noContainerRuntime(), namespaces: true },
  async () => {
    const container: StartedTestContainer = await new GenericContainer(IMAGE)
      .withPlatform('linux/amd64')
      .withEnvironment({
        PORT: String(PORT),
        INDEX_TYPE: 'serverless',
        VECTOR_TYPE: 'dense',
        DIMENSION: '8',
        METRIC: 'cosine',
      })
      .withExposedPorts(PORT)
      // Any HTTP answer means the emulator listens (its image may have no shell for a port check).
      .withWaitStrategy(
        Wait.forHttp('/describe_index_stats', PORT)
          .withMethod('POST')
          .forStatusCodeMatching(() => true),
      )
      .withStartupTimeout(120_000)
      .start();
    const host = `http://${container.getHost()}:${container.getMappedPort(PORT)}`;
    const driver = new PineconeBackend({
      // Pinecone Local ignores keys, but the client requires one.
      apiKey: 'pclocal',
      sharedIndexes: [{ dimension: 8, metric: 'cosine', name: 'vg-conformance-8', host }],
      tenantKeys: { cacheTtlMs: 0 },
      maxNamespacesPerIndex: null,
      requestTimeoutMs: 10_000,
      maxRetries: 1,
      ...(process.env.VECGATE_PINECONE_LOCAL_API_VERSION
        ? { apiVersion: process.env.VECGATE_PINECONE_LOCAL_API_VERSION }
        : {}),
      eraseTimeoutMs: 10_000,
      pollIntervalMs: 100,
    });
    return {
      driver,
      // Pinecone documents reads as eventually consistent; give the emulator a moment.
      settle: () => new Promise((resolve) => setTimeout(resolve, 500)),
      cleanup: async () => {
        await driver.close();
        await container.stop();
      },
    };
  },
);
