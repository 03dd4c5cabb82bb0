import { Kysely, Migration, sql } from 'kysely';

export interface TenantRow {
  uid: string;
  id: string;
  status: string;
  tier: string;
  backend: string;
  strategy: string;
  location: string;
  dimension: number;
  metric: string;
  supersedes_deleted_at: number | null;
  /** Replica id of the gateway whose data directory holds an embedded tenant; null otherwise. */
  owner: string | null;
  created_at: number;
  updated_at: number;
}

export interface TombstoneRow {
  uid: string;
  id: string;
  deleted_at: number;
  deleted_by: string;
}

export interface TokenRow {
  jti: string;
  tenant_uid: string;
  tenant_id: string;
  subject: string;
  roles: string;
  minted_by: string;
  /** JSON array of the minted tokens this one descends from, oldest first. */
  lineage: string;
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** A namespace of a tenant other than the default one, which every tenant has without a row. */
export interface NamespaceRow {
  tenant_uid: string;
  name: string;
  created_at: number;
}

export interface ApiKeyRow {
  id: string;
  tenant_uid: string;
  tenant_id: string;
  name: string;
  roles: string;
  /** HMAC-SHA256 of the key's id and secret (hex); the key itself is never stored. */
  key_hash: string;
  created_by: string;
  /** JSON array of the minted tokens the creating token descends from, itself last. */
  lineage: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** A tenant moving between placements; at most one per tenant, removed once it ends. */
export interface MigrationRow {
  tenant_uid: string;
  tenant_id: string;
  state: string;
  /** JSON `{tier, placement}` of the place the tenant leaves, and of the one it goes to. */
  from_place: string;
  to_place: string;
  copied: number;
  total: number;
  started_at: number;
  started_by: string;
  updated_at: number;
  error: string | null;
}

export interface TenancyTables {
  vg_tenants: TenantRow;
  vg_tenant_tombstones: TombstoneRow;
  vg_tokens: TokenRow;
  vg_namespaces: NamespaceRow;
  vg_api_keys: ApiKeyRow;
  vg_tenant_migrations: MigrationRow;
}

export const tenancyMigrations: Record<string, Migration> = {
  '0001_registry': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('vg_tenants')
        .addColumn('uid', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('id', 'varchar(63)', (c) => c.notNull().unique())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('tier', 'varchar(32)', (c) => c.notNull())
        .addColumn('backend', 'varchar(16)', (c) => c.notNull())
        .addColumn('strategy', 'varchar(32)', (c) => c.notNull())
        .addColumn('location', 'text', (c) => c.notNull())
        .addColumn('dimension', 'integer', (c) => c.notNull())
        .addColumn('metric', 'varchar(16)', (c) => c.notNull())
        .addColumn('supersedes_deleted_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('vg_tenant_tombstones')
        .addColumn('uid', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('id', 'varchar(63)', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_by', 'varchar(256)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('vg_tenant_tombstones_id')
        .on('vg_tenant_tombstones')
        .column('id')
        .execute();
      await db.schema
        .createTable('vg_tokens')
        .addColumn('jti', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('tenant_uid', 'varchar(32)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(63)', (c) => c.notNull())
        .addColumn('subject', 'varchar(256)', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('minted_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('issued_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('vg_tokens_tenant')
        .on('vg_tokens')
        .column('tenant_uid')
        .execute();
      await db.schema
        .createIndex('vg_tokens_revoked')
        .on('vg_tokens')
        .columns(['revoked_at', 'expires_at'])
        .where(sql.ref('revoked_at'), 'is not', null)
        .execute();
    },
  },
  '0110_embedded_owner': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('vg_tenants').addColumn('owner', 'varchar(64)').execute();
    },
  },
  '0120_token_lineage': {
    // Revoking a token revokes what was minted from it: each token records its ancestors.
    // Tokens minted before this migration have none recorded and revoke alone.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('vg_tokens')
        .addColumn('lineage', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
    },
  },
  '0130_namespaces': {
    // Tenants had only the default namespace before, which needs no row: nothing to copy.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('vg_namespaces')
        .addColumn('tenant_uid', 'varchar(32)', (c) => c.notNull())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('vg_namespaces_pk', ['tenant_uid', 'name'])
        .execute();
    },
  },
  '0140_api_keys': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('vg_api_keys')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('tenant_uid', 'varchar(32)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(63)', (c) => c.notNull())
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('lineage', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('vg_api_keys_tenant')
        .on('vg_api_keys')
        .column('tenant_uid')
        .execute();
      await db.schema
        .createIndex('vg_api_keys_revoked')
        .on('vg_api_keys')
        .column('revoked_at')
        .where(sql.ref('revoked_at'), 'is not', null)
        .execute();
    },
  },
  '0150_migrations': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('vg_tenant_migrations')
        .addColumn('tenant_uid', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(63)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('from_place', 'text', (c) => c.notNull())
        .addColumn('to_place', 'text', (c) => c.notNull())
        .addColumn('copied', 'bigint', (c) => c.notNull())
        .addColumn('total', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('started_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
    },
  },
};
