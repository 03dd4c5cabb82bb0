import { sqlTargets } from '../stores/sql-targets';
import { createTempDatabase, TempDatabase } from './postgres';
import { StartOptions, startGateway, TestGateway } from './test-gateway';

const postgres = sqlTargets().find((t) => t.name === 'postgres');
/** Runs a suite only where a PostgreSQL server is reachable (skipped, with its reason, elsewhere). */
export const describeOnPostgres = postgres?.skipReason ? describe.skip : describe;

export interface ReplicaPair {
  a: TestGateway;
  b: TestGateway;
  close(): Promise<void>;
}

/**
 * Two gateway replicas on one fresh PostgreSQL registry, with a one-minute tenant cache (unless
 * `options.env` says otherwise), so only LISTEN/NOTIFY can explain a change reaching the other
 * replica in well under a second.
 */
export async function startReplicaPair(options: StartOptions = {}): Promise<ReplicaPair> {
  const database: TempDatabase = await createTempDatabase();
  const env = { TENANT_CACHE_TTL_MS: '60000', ...options.env, DATABASE_URL: database.url };
  const a = await startGateway({ ...options, env });
  const b = await startGateway({ ...options, env });
  return {
    a,
    b,
    async close() {
      await a.close(true);
      await b.close(true);
      await database.drop();
    },
  };
}

/**
 * A replica pair for the enclosing block: started (then handed to `ready`) before its tests,
 * stopped after them.
 */
export function withReplicaPair(
  ready: (pair: ReplicaPair) => Promise<void> | void,
  options: StartOptions = {},
): void {
  let pair: ReplicaPair | undefined;
  beforeAll(async () => {
    pair = await startReplicaPair(options);
    await ready(pair);
  });
  afterAll(() => pair?.close());
}
