import { CapacityError } from '@vecgate/core';
import { PoolClient } from 'pg';
import { ErasureReport, StrategyCapability } from '../../ports/backend-admin';
import { TenantScope } from '../../ports/vector.types';
import { PgvectorLayout, upgradeLayout } from './pgvector.layout';
import { checkIndexable, locationOf, TENANT_TABLE_PREFIX } from './pgvector.naming';
import { PgvectorLimits, PgvectorOptions } from './pgvector.options';
import {
  createPartition,
  createPartitioned,
  createTable,
  TENANT_COLUMN,
  wall,
} from './pgvector.schema';
import { PgvectorSession } from './pgvector.session';

export const LIMIT_NAMES = {
  tables: 'pgvector.tables',
  partitions: 'pgvector.partitions_per_table',
} as const;

/** Tenants each strategy can hold, as data. */
export function pgvectorCapabilities(limits: PgvectorLimits): StrategyCapability[] {
  return [
    { strategy: 'collection', limit: limits.tables, limitName: LIMIT_NAMES.tables },
    { strategy: 'partition', limit: limits.partitionsPerTable, limitName: LIMIT_NAMES.partitions },
    { strategy: 'partition_key', limit: null },
  ];
}

/**
 * Provisioning, erasure and capacity, on the location checked against the scope's uid. Tables
 * are created by the admin connection, in one transaction each (PostgreSQL's DDL is
 * transactional: a crash leaves the whole place or none of it), with their HNSW index,
 * row-level security and the data role's grants; shared tables are created on demand by the
 * first tenant of their vector space, and a table of the previous layout is upgraded in the
 * same transaction.
 */
export class PgvectorPlaces {
  private grantee?: Promise<string | undefined>;

  constructor(
    private readonly session: PgvectorSession,
    private readonly layout: PgvectorLayout,
    private readonly options: PgvectorOptions,
  ) {}

  /** 507 naming the limit when creating the tenant's place would exceed it; nothing is made. */
  async checkCapacity(scope: TenantScope): Promise<void> {
    const location = locationOf(scope);
    checkIndexable(scope.space);
    await this.session.asAdmin('vg_capacity', async (client) => {
      if (location.strategy === 'partition_key' || (await exists(client, location.table))) return;
      if (location.strategy === 'collection') {
        const tables = await countOf(
          client,
          `SELECT count(*) AS n FROM pg_class WHERE relkind IN ('r', 'p')
             AND starts_with(relname, $1) AND pg_table_is_visible(oid)`,
          [TENANT_TABLE_PREFIX],
        );
        if (tables >= this.options.limits.tables) {
          throw new CapacityError(
            `pgvector table limit reached: ${tables} of ${this.options.limits.tables} tenant ` +
              `tables exist (PGVECTOR_MAX_TABLES)`,
            LIMIT_NAMES.tables,
          );
        }
        return;
      }
      const partitions = await countOf(
        client,
        `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = to_regclass($1)`,
        [location.parent],
      );
      if (partitions >= this.options.limits.partitionsPerTable) {
        throw new CapacityError(
          `pgvector partition limit reached: table ${location.parent} holds ${partitions} of ` +
            `${this.options.limits.partitionsPerTable} partitions (PGVECTOR_MAX_PARTITIONS)`,
          LIMIT_NAMES.partitions,
        );
      }
    });
  }

  /**
   * Creates the tenant's table or partition, and the shared table it needs, or upgrades them
   * from the previous layout. Idempotent.
   */
  async provision(scope: TenantScope): Promise<void> {
    const location = locationOf(scope);
    const { space, tenantUid: uid } = scope;
    checkIndexable(space);
    const grantee = await this.dataGrantee();
    const statements: string[] = [];
    if (location.parent !== undefined) {
      statements.push(
        ...createPartitioned(location.parent, space),
        ...wall(location.parent, grantee),
      );
      statements.push(...createPartition(location.table, location.parent, uid));
    } else {
      statements.push(...createTable(location.table, space));
    }
    statements.push(...wall(location.table, grantee));
    const table = PgvectorLayout.tableOf(location);
    await this.session.asAdmin(table, async (client) => {
      for (const statement of statements) await client.query(statement);
      await upgradeLayout(client, table);
    });
    this.layout.settled(table);
  }

  /**
   * Drops the tenant's table or partition, or deletes its rows of every namespace from the
   * shared table, then counts what is left of it (every namespace), through the data plane's
   * tenant-scoped view.
   */
  async erase(scope: TenantScope): Promise<ErasureReport> {
    const location = locationOf(scope);
    const uid = scope.tenantUid;
    if (location.strategy !== 'partition_key') {
      await this.session.asAdmin(location.parent ?? location.table, async (client) => {
        await client.query(`DROP TABLE IF EXISTS ${location.table}`);
      });
      this.layout.forget(location.table);
    }
    const where = location.parent ?? location.table;
    const remaining = await this.session.asTenant(uid, undefined, async (client) => {
      if (!(await exists(client, where))) return 0;
      if (location.strategy === 'partition_key') {
        await client.query(`DELETE FROM ${where} WHERE ${TENANT_COLUMN} = $1`, [uid]);
      }
      const left = await countOf(
        client,
        `SELECT count(*) AS n FROM ${where} WHERE ${TENANT_COLUMN} = $1`,
        [uid],
      );
      const table =
        location.parent === undefined ? 0 : Number(await exists(client, location.table));
      return left + table;
    });
    return { places: [{ place: location.table, remaining }] };
  }

  /** Who the data plane runs as, when that is not the role creating the tables. */
  private dataGrantee(): Promise<string | undefined> {
    this.grantee ??= (async () => {
      if (this.options.dataRole !== undefined) return this.options.dataRole;
      if (this.options.adminUrl === undefined) return undefined;
      return this.session.dataRoleName();
    })().catch((err: unknown) => {
      // Asked again next time rather than remembering a failure of a moment.
      this.grantee = undefined;
      throw err;
    });
    return this.grantee;
  }
}

async function exists(client: PoolClient, table: string): Promise<boolean> {
  const result = await client.query<{ found: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS found',
    [table],
  );
  return result.rows[0]?.found === true;
}

async function countOf(client: PoolClient, sql: string, params: unknown[]): Promise<number> {
  const result = await client.query<{ n: string }>(sql, params);
  return Number(result.rows[0]?.n ?? 0);
}
