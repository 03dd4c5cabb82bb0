import { PGLITE_DATA_ROLE, startPglite } from '../support/pglite';

/** What the gateway under test needs to run on one backend, and how to let it go. */
export interface LeakBackend {
  readonly name: string;
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The backend the leak hunt targets (`LEAK_BACKEND`, default embedded), with every tier on
 * one of its strategies. `pgvector` runs against PGlite in a child process (one connection,
 * the data plane in `SET LOCAL ROLE`), or against the server at `LEAK_PGVECTOR_URL`.
 */
export async function leakBackend(): Promise<LeakBackend> {
  const name = process.env.LEAK_BACKEND ?? 'embedded';
  switch (name) {
    case 'embedded':
      return { name, env: {}, stop: () => Promise.resolve() };
    case 'pgvector': {
      const policy =
        'enterprise=pgvector:collection,premium=pgvector:partition,standard=pgvector:partition_key';
      const url = process.env.LEAK_PGVECTOR_URL;
      if (url)
        return {
          name,
          env: { PGVECTOR_URL: url, PLACEMENT_POLICY: policy },
          stop: () => Promise.resolve(),
        };
      const pglite = await startPglite();
      return {
        name: `${name} (PGlite)`,
        env: {
          PGVECTOR_URL: pglite.url,
          PGVECTOR_POOL_SIZE: '1',
          PGVECTOR_DATA_ROLE: PGLITE_DATA_ROLE,
          PLACEMENT_POLICY: policy,
        },
        stop: () => pglite.stop(),
      };
    }
    default:
      throw new Error(`LEAK_BACKEND: "${name}" is not embedded or pgvector`);
  }
}
