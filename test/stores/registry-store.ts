import { SqlDatabase } from '@vecgate/core';
import { TenantRegistryRepository } from '@vecgate/tenancy';
import { TenancyTables } from '@vecgate/tenancy/registry/tenancy.tables';
import { SqlStore, SqlTarget, withStore } from './sql-targets';

/** The tenancy registry's tables of one pool, and its repository on them. */
export interface OpenRegistry {
  readonly database: SqlDatabase;
  readonly repository: TenantRegistryRepository;
}

/** Opens one more pool on `store` (a replica of its own) and the migrated registry on it. */
export async function openRegistry(store: SqlStore): Promise<OpenRegistry> {
  const database = store.open();
  return { database, repository: await TenantRegistryRepository.open(database) };
}

/**
 * A migrated tenancy registry on a fresh store of `target` for the enclosing block, handed to
 * `ready`; `tables` are emptied, in that order, before each test.
 */
export function withRegistry(
  target: SqlTarget,
  tables: readonly (keyof TenancyTables)[],
  ready: (registry: OpenRegistry) => unknown,
): void {
  let database: SqlDatabase | undefined;
  withStore(target, async (store) => {
    const registry = await openRegistry(store);
    database = registry.database;
    ready(registry);
  });
  beforeEach(async () => {
    const db = database?.kysely<TenancyTables>();
    for (const table of tables) await db?.deleteFrom(table).execute();
  });
}

/** A service of a replica that starts and stops with its module. */
export interface ReplicaService {
  onModuleInit(): Promise<void>;
  onApplicationShutdown(): Promise<void>;
}

/**
 * Two replicas' registries on one fresh store of `target` for the enclosing block (each with a
 * pool of its own): `start` makes the services under test from both; they are initialised
 * before the tests and shut down after them, in the order given.
 */
export function withTwoReplicas(
  target: SqlTarget,
  start: (a: OpenRegistry, b: OpenRegistry) => ReplicaService[],
): void {
  let services: ReplicaService[] = [];
  withStore(
    target,
    async (store) => {
      services = start(await openRegistry(store), await openRegistry(store));
      for (const service of services) await service.onModuleInit();
    },
    {
      close: async () => {
        for (const service of services) await service.onApplicationShutdown();
      },
    },
  );
}
