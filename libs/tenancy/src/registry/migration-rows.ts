import { Kysely } from 'kysely';
import { MigrationState, Tenant, TenantMigration, TenantStatus, TierPlace } from '../tenancy.types';
import { MigrationRow, TenancyTables } from './tenancy.tables';

const LIVE: readonly TenantStatus[] = ['active', 'suspended'];

/**
 * Migrations of tenants between placements, one row per moving tenant. Every phase change is
 * a compare-and-set on the state, so two replicas (or a runner and a cancellation) never both
 * take the same step; the switch changes the tenant and its migration in one transaction.
 */
export class MigrationRows {
  constructor(private readonly db: Kysely<TenancyTables>) {}

  async find(tenantUid: string): Promise<TenantMigration | undefined> {
    const row = await this.db
      .selectFrom('vg_tenant_migrations')
      .selectAll()
      .where('tenant_uid', '=', tenantUid)
      .executeTakeFirst();
    return row ? toMigration(row) : undefined;
  }

  /** Tenant ids with a migration in one of `states`. */
  async tenantsIn(states: readonly MigrationState[]): Promise<string[]> {
    const rows = await this.db
      .selectFrom('vg_tenant_migrations')
      .select('tenant_id')
      .where('state', 'in', [...states])
      .execute();
    return rows.map((r) => r.tenant_id);
  }

  /** Records a new migration, replacing a failed one; false when another one is under way. */
  async start(tenant: Tenant, migration: TenantMigration): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('vg_tenant_migrations')
        .where('tenant_uid', '=', tenant.uid)
        .where('state', '=', 'failed')
        .execute();
      const result = await trx
        .insertInto('vg_tenant_migrations')
        .values(toRow(tenant, migration))
        .onConflict((oc) => oc.column('tenant_uid').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    });
  }

  /** Moves a migration on from one of `from`; false when it is no longer there. */
  async advance(
    tenantUid: string,
    from: readonly MigrationState[],
    changes: { state?: MigrationState; copied?: number; total?: number; error?: string | null },
    now: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('vg_tenant_migrations')
      .set({ ...changes, updated_at: now })
      .where('tenant_uid', '=', tenantUid)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * The switch, in one transaction: the tenant takes the new tier and placement, its migration
   * becomes `switched`. False (nothing changed) unless the tenant is live and still `verifying`.
   */
  async switchOver(
    tenant: Tenant,
    to: TierPlace,
    replicaId: string,
    now: number,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('vg_tenant_migrations')
        .set({ state: 'switched', updated_at: now })
        .where('tenant_uid', '=', tenant.uid)
        .where('state', '=', 'verifying')
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) return false;
      const changed = await trx
        .updateTable('vg_tenants')
        .set({
          tier: to.tier,
          backend: to.placement.backend,
          strategy: to.placement.strategy,
          location: JSON.stringify(to.placement.location),
          // An embedded place is files of the replica that ran the copy.
          owner: to.placement.backend === 'embedded' ? (tenant.owner ?? replicaId) : tenant.owner,
          updated_at: now,
        })
        .where('uid', '=', tenant.uid)
        .where('status', 'in', [...LIVE])
        .executeTakeFirst();
      if (Number(changed.numUpdatedRows) === 0) throw new Error('tenant left the live states');
      return true;
    });
  }

  async remove(tenantUid: string, states: readonly MigrationState[]): Promise<boolean> {
    const result = await this.db
      .deleteFrom('vg_tenant_migrations')
      .where('tenant_uid', '=', tenantUid)
      .where('state', 'in', [...states])
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toMigration(row: MigrationRow): TenantMigration {
  return {
    state: row.state as MigrationState,
    from: JSON.parse(row.from_place) as TierPlace,
    to: JSON.parse(row.to_place) as TierPlace,
    copied: Number(row.copied),
    total: Number(row.total),
    startedAt: Number(row.started_at),
    startedBy: row.started_by,
    updatedAt: Number(row.updated_at),
    error: row.error ?? null,
  };
}

function toRow(tenant: Tenant, m: TenantMigration): MigrationRow {
  return {
    tenant_uid: tenant.uid,
    tenant_id: tenant.id,
    state: m.state,
    from_place: JSON.stringify(m.from),
    to_place: JSON.stringify(m.to),
    copied: m.copied,
    total: m.total,
    started_at: m.startedAt,
    started_by: m.startedBy,
    updated_at: m.updatedAt,
    error: m.error,
  };
}
