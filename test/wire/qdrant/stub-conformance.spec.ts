import { QdrantBackend } from '@vecgate/isolation/backends/qdrant';
import { describeIsolationConformance } from '../../conformance/isolation.conformance';
import { QdrantStub } from './stub';
import { stubOptions } from './fixtures';

/**
 * The shared isolation suite, run through the real Qdrant client against the wire model of
 * Qdrant (every strategy, shard keys included). It proves the adapter's own logic end to end
 * (id mapping, tenant conditions, erasure); it is not evidence about a real server, which
 * test/conformance/qdrant.conformance.spec.ts provides where a container runtime exists.
 */
describeIsolationConformance(
  'qdrant (wire model)',
  {
    strategies: ['collection', 'partition_key', 'partition'],
    namespaces: true,
    listOrder: 'stable',
  },
  async () => {
    const stub = await QdrantStub.start({ distributed: true, apiKey: 'wire-api-key' });
    const driver = new QdrantBackend(stubOptions(stub.url, { apiKey: 'wire-api-key' }));
    return {
      driver,
      cleanup: async () => {
        await driver.close();
        await stub.close();
      },
    };
  },
);
