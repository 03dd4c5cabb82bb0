import { Kysely } from 'kysely';
import { SqlDatabase } from '@vecgate/core';
import { BackendName, MetricName, StrategyName } from '@vecgate/isolation';
import { Tenant, TenantStatus } from '../tenancy.types';
import { TenancyTables, TenantRow, tenancyMigrations } from './tenancy.tables';
import { ApiKeyRows } from './api-key-rows';
import { MigrationRows } from './migration-rows';
import { NamespaceRows } from './namespace-rows';
import { TokenRows } from './token-rows';

export interface ListPage {
  readonly items: Tenant[];
  readonly nextCursor: string | null;
}

/**
 * Tenant registry, tombstones and minted tokens in SQL (SQLite or PostgreSQL). Built through
 * `open`, which migrates first, so nothing can query the tables before they exist.
 */
export class TenantRegistryRepository {
  private readonly db: Kysely<TenancyTables>;
  /** Minted tokens; tombstoning a tenant forgets them here too. */
  readonly tokens: TokenRows;
  /** Tenant API keys; tombstoning a tenant forgets them here too. */
  readonly apiKeys: ApiKeyRows;
  /** Named namespaces; tombstoning a tenant forgets them here too. */
  readonly namespaces: NamespaceRows;
  /** Moves between placements; tombstoning a tenant forgets them here too. */
  readonly migrations: MigrationRows;

  private constructor(sql: SqlDatabase) {
    this.db = sql.kysely<TenancyTables>();
    this.tokens = new TokenRows(this.db);
    this.apiKeys = new ApiKeyRows(this.db);
    this.namespaces = new NamespaceRows(this.db);
    this.migrations = new MigrationRows(this.db);
  }

  static async open(sql: SqlDatabase): Promise<TenantRegistryRepository> {
    await sql.migrate('tenancy', tenancyMigrations);
    return new TenantRegistryRepository(sql);
  }

  async findById(id: string): Promise<Tenant | undefined> {
    const row = await this.db
      .selectFrom('vg_tenants')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? this.withMigration(row) : undefined;
  }

  async findByStatus(status: TenantStatus, updatedBefore: number): Promise<Tenant[]> {
    const rows = await this.db
      .selectFrom('vg_tenants')
      .selectAll()
      .where('status', '=', status)
      .where('updated_at', '<=', updatedBefore)
      .execute();
    // With their moves: a deletion recovery finishes erases both places of a moving tenant.
    return Promise.all(rows.map((row) => this.withMigration(row)));
  }

  async list(limit: number, after?: string): Promise<ListPage> {
    let query = this.db
      .selectFrom('vg_tenants')
      .selectAll()
      .orderBy('id', 'asc')
      .limit(limit + 1);
    if (after !== undefined) query = query.where('id', '>', after);
    const rows = await query.execute();
    const items = rows.slice(0, limit).map(toTenant);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? last.id : null };
  }

  async latestDeletion(id: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('vg_tenant_tombstones')
      .select((eb) => eb.fn.max('deleted_at').as('at'))
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  /** Inserts a new tenant; returns false when the id is already taken (by any status). */
  async insert(tenant: Tenant): Promise<boolean> {
    const result = await this.db
      .insertInto('vg_tenants')
      .values(toRow(tenant))
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /**
   * Changes a tenant only while it is in one of `from` (a compare-and-set: another replica may
   * have changed it since it was read). Returns the tenant after the change, or undefined when
   * no row matched.
   */
  async update(
    uid: string,
    from: readonly TenantStatus[],
    changes: { status?: TenantStatus; tier?: string },
    now: number,
  ): Promise<Tenant | undefined> {
    const result = await this.db
      .updateTable('vg_tenants')
      .set({ ...changes, updated_at: now })
      .where('uid', '=', uid)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    const row = await this.db
      .selectFrom('vg_tenants')
      .selectAll()
      .where('uid', '=', uid)
      .executeTakeFirst();
    return row ? this.withMigration(row) : undefined;
  }

  /** A tenant with its move, if it has one. */
  private async withMigration(row: TenantRow): Promise<Tenant> {
    const migration = await this.migrations.find(row.uid);
    return migration ? { ...toTenant(row), migration } : toTenant(row);
  }

  /**
   * Gives this replica the embedded tenants recorded before owners were: on a shared registry
   * the first replica to start after the upgrade takes them (start the one holding their data
   * first). Returns how many were claimed.
   */
  async claimUnowned(owner: string): Promise<number> {
    const result = await this.db
      .updateTable('vg_tenants')
      .set({ owner })
      .where('owner', 'is', null)
      .where('backend', '=', 'embedded')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Marks a provisioning tenant as still being worked on, so no recovery takes it over. */
  async touch(uid: string, now: number): Promise<void> {
    await this.db
      .updateTable('vg_tenants')
      .set({ updated_at: now })
      .where('uid', '=', uid)
      .where('status', '=', 'provisioning')
      .execute();
  }

  async remove(uid: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('vg_namespaces').where('tenant_uid', '=', uid).execute();
      await trx.deleteFrom('vg_tenant_migrations').where('tenant_uid', '=', uid).execute();
      await trx.deleteFrom('vg_tenants').where('uid', '=', uid).execute();
    });
  }

  /**
   * Replaces a tenant by its tombstone and forgets its minted tokens, API keys and namespaces,
   * in one transaction.
   */
  async tombstone(tenant: Tenant, deletedAt: number, deletedBy: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('vg_tenant_tombstones')
        .values({ uid: tenant.uid, id: tenant.id, deleted_at: deletedAt, deleted_by: deletedBy })
        .onConflict((oc) => oc.column('uid').doNothing())
        .execute();
      await trx.deleteFrom('vg_tokens').where('tenant_uid', '=', tenant.uid).execute();
      await trx.deleteFrom('vg_api_keys').where('tenant_uid', '=', tenant.uid).execute();
      await trx.deleteFrom('vg_namespaces').where('tenant_uid', '=', tenant.uid).execute();
      await trx.deleteFrom('vg_tenant_migrations').where('tenant_uid', '=', tenant.uid).execute();
      await trx.deleteFrom('vg_tenants').where('uid', '=', tenant.uid).execute();
    });
  }
}

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    uid: row.uid,
    status: row.status as TenantStatus,
    tier: row.tier,
    placement: {
      backend: row.backend as BackendName,
      strategy: row.strategy as StrategyName,
      location: JSON.parse(row.location) as Record<string, string>,
    },
    dimension: Number(row.dimension),
    metric: row.metric as MetricName,
    supersedesDeletedAt:
      row.supersedes_deleted_at === null ? null : Number(row.supersedes_deleted_at),
    owner: row.owner ?? null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toRow(t: Tenant): TenantRow {
  return {
    uid: t.uid,
    id: t.id,
    status: t.status,
    tier: t.tier,
    backend: t.placement.backend,
    strategy: t.placement.strategy,
    location: JSON.stringify(t.placement.location),
    dimension: t.dimension,
    metric: t.metric,
    supersedes_deleted_at: t.supersedesDeletedAt,
    owner: t.owner,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
}
