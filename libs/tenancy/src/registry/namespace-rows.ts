import { Kysely } from 'kysely';
import { TenancyTables } from './tenancy.tables';

/** A named namespace of a tenant (the default namespace has no row: every tenant has it). */
export interface NamespaceEntry {
  readonly name: string;
  readonly createdAt: number;
}

/** What registering a namespace did: `full` when the tenant already has `cap` of them. */
export type Registration = 'created' | 'exists' | 'full';

/**
 * The tenants' named namespaces in the registry. A tenant holds at most its tier's cap of them,
 * so listing one tenant's namespaces is one indexed read of a bounded number of rows.
 */
export class NamespaceRows {
  constructor(private readonly db: Kysely<TenancyTables>) {}

  async list(tenantUid: string): Promise<NamespaceEntry[]> {
    const rows = await this.db
      .selectFrom('vg_namespaces')
      .select(['name', 'created_at'])
      .where('tenant_uid', '=', tenantUid)
      .orderBy('name', 'asc')
      .execute();
    return rows.map((r) => ({ name: r.name, createdAt: Number(r.created_at) }));
  }

  async find(tenantUid: string, name: string): Promise<NamespaceEntry | undefined> {
    const row = await this.db
      .selectFrom('vg_namespaces')
      .select(['name', 'created_at'])
      .where('tenant_uid', '=', tenantUid)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? { name: row.name, createdAt: Number(row.created_at) } : undefined;
  }

  /**
   * Adds a namespace unless the tenant already has `cap`. The count and the insert are two
   * statements: callers serialise a tenant's registrations in their process; replicas racing
   * on the same tenant's last free slots can pass the cap by one namespace each.
   */
  async add(tenantUid: string, name: string, cap: number, now: number): Promise<Registration> {
    if (await this.find(tenantUid, name)) return 'exists';
    const counted = await this.db
      .selectFrom('vg_namespaces')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('tenant_uid', '=', tenantUid)
      .executeTakeFirst();
    if (Number(counted?.n ?? 0) >= cap) return 'full';
    const result = await this.db
      .insertInto('vg_namespaces')
      .values({ tenant_uid: tenantUid, name, created_at: now })
      .onConflict((oc) => oc.columns(['tenant_uid', 'name']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1 ? 'created' : 'exists';
  }

  /** Returns false when the tenant had no such namespace. */
  async remove(tenantUid: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('vg_namespaces')
      .where('tenant_uid', '=', tenantUid)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
