import { Client } from 'pg';
import { GenericContainer, Wait } from 'testcontainers';
import { PgvectorBackend, PGVECTOR_DEFAULT_LIMITS, PgvectorOptions } from '@vecgate/isolation';
import { noContainerRuntime } from '../support/container-runtime';
import { describeIsolationConformance } from './isolation.conformance';

/**
 * The isolation suite against PostgreSQL servers with pgvector: a `pgvector/pgvector`
 * container through testcontainers, with the data plane on a login role of its own (no
 * `SET LOCAL ROLE`) and the owner creating the tables; and the server at
 * VECGATE_TEST_PGVECTOR_URL when set (its login must be allowed to create tables).
 * Without a container runtime, or without the variable, the suite is reported skipped with
 * the reason printed.
 */

jest.setTimeout(240_000);

const IMAGE = process.env.VECGATE_TEST_PGVECTOR_IMAGE ?? 'pgvector/pgvector:0.8.1-pg17';
const DATA_LOGIN = 'vg_data_login';
const DATA_PASSWORD = 'conformance-data-password';
const STRATEGIES = ['collection', 'partition', 'partition_key'] as const;

function options(url: string, adminUrl?: string): PgvectorOptions {
  return {
    url,
    ...(adminUrl ? { adminUrl } : {}),
    poolSize: 4,
    timeoutMs: 30_000,
    efSearch: 40,
    limits: PGVECTOR_DEFAULT_LIMITS,
  };
}

describeIsolationConformance(
  'pgvector (container)',
  { strategies: STRATEGIES, skip: noContainerRuntime(), namespaces: true },
  async () => {
    const container = await new GenericContainer(IMAGE)
      .withEnvironment({ POSTGRES_PASSWORD: 'postgres', POSTGRES_DB: 'vecgate' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .withStartupTimeout(180_000)
      .start();
    const host = `${container.getHost()}:${container.getMappedPort(5432)}`;
    const adminUrl = `postgres://postgres:postgres@${host}/vecgate`;
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query('CREATE EXTENSION IF NOT EXISTS vector');
      await admin.query(
        `CREATE ROLE ${DATA_LOGIN} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${DATA_PASSWORD}'`,
      );
    } finally {
      await admin.end();
    }
    const driver = new PgvectorBackend(
      options(`postgres://${DATA_LOGIN}:${DATA_PASSWORD}@${host}/vecgate`, adminUrl),
    );
    return {
      driver,
      cleanup: async () => {
        await driver.close();
        await container.stop();
      },
    };
  },
);

const PGVECTOR_URL = process.env.VECGATE_TEST_PGVECTOR_URL;
const NO_URL = PGVECTOR_URL ? undefined : 'VECGATE_TEST_PGVECTOR_URL is not set';

describeIsolationConformance(
  'pgvector (VECGATE_TEST_PGVECTOR_URL)',
  { strategies: STRATEGIES, skip: NO_URL, namespaces: true },
  () => {
    const url = PGVECTOR_URL ?? '';
    const driver = new PgvectorBackend(options(url));
    return Promise.resolve({
      driver,
      cleanup: () => driver.close(),
    });
  },
);
