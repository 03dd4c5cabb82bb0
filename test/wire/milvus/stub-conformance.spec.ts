import { MilvusBackend } from '@vecgate/isolation/backends/milvus/milvus.backend';
import { describeIsolationConformance } from '../../conformance/isolation.conformance';
import { milvusOptions } from './fixtures';
import { MilvusStub } from './stub';

/**
 * The shared isolation suite, namespace cases included, run through the real Milvus client
 * against the wire model of Milvus (every strategy; rows and filter evaluation in `./model`).
 * It proves the adapter's own logic end to end (keys, scope conditions, namespaces, erasure);
 * it is not evidence about a real server, which test/conformance/milvus.conformance.spec.ts
 * provides where a container runtime exists.
 */
describeIsolationConformance(
  'milvus (wire model)',
  { strategies: ['database', 'collection', 'partition', 'partition_key'], namespaces: true },
  async () => {
    const stub = new MilvusStub();
    const driver = new MilvusBackend(
      milvusOptions(await stub.start(), {
        sharedCollections: { '8:cosine': 'vg_conf_8_cosine', '12:cosine': 'vg_conf_12_cosine' },
      }),
    );
    return {
      driver,
      cleanup: async () => {
        await driver.close();
        await stub.stop();
      },
    };
  },
);
