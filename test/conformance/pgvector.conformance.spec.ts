import { PgvectorBackend } from '@vecgate/isolation';
import { pgliteOptions, startPglite } from '../support/pglite';
import { describeIsolationConformance } from './isolation.conformance';

/**
 * The isolation suite, live, against PGlite: real PostgreSQL with the real pgvector
 * extension (HNSW indexes, row-level security) over the wire protocol, in a child process.
 * One connection (PGlite is one session), and the data plane switches to a non-owner role
 * with `SET LOCAL ROLE` in each transaction, since PGlite runs every login as its superuser.
 */

jest.setTimeout(120_000);

describeIsolationConformance(
  'pgvector (PGlite)',
  { strategies: ['collection', 'partition', 'partition_key'], namespaces: true },
  async () => {
    const pglite = await startPglite();
    const driver = new PgvectorBackend(pgliteOptions(pglite.url));
    return {
      driver,
      cleanup: async () => {
        await driver.close();
        await pglite.stop();
      },
    };
  },
);
