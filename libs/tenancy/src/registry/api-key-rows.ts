import { Kysely } from 'kysely';
import { ApiKeyRow, TenancyTables } from './tenancy.tables';

export interface ApiKeyRecord {
  /** Public id, part of the key itself and of the principal's subject (`key:<id>`). */
  readonly id: string;
  readonly tenantUid: string;
  readonly tenantId: string;
  readonly name: string;
  readonly roles: readonly string[];
  /** HMAC-SHA256 of the key (hex), never the key. */
  readonly keyHash: string;
  /** Subject of the principal that created the key. */
  readonly createdBy: string;
  /** The minted tokens the creating token descends from, itself last; empty for a platform token. */
  readonly lineage: readonly string[];
  /** Seconds since the epoch, like every time in this record. */
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

export interface ApiKeyPage {
  readonly items: ApiKeyRecord[];
  readonly nextCursor: string | null;
}

/** A page of `limit` items from `limit + 1` rows read, with the cursor of the next page. */
export function pageOf<R, T>(
  rows: readonly R[],
  limit: number,
  map: (row: R) => T,
  cursorOf: (item: T) => string,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit).map(map);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}

/** Lineages hold registry jtis (UUIDs), so the quoted id cannot act as a LIKE wildcard. */
export function lineagePattern(jti: string): string {
  return `%${JSON.stringify(jti)}%`;
}

/**
 * Tenant API keys in the registry: their hashes, never the keys. A key records the lineage of
 * the token that created it, so revoking any of those tokens revokes the key in one statement.
 */
export class ApiKeyRows {
  constructor(private readonly db: Kysely<TenancyTables>) {}

  async insert(key: ApiKeyRecord): Promise<void> {
    await this.db
      .insertInto('vg_api_keys')
      .values({
        id: key.id,
        tenant_uid: key.tenantUid,
        tenant_id: key.tenantId,
        name: key.name,
        roles: JSON.stringify(key.roles),
        key_hash: key.keyHash,
        created_by: key.createdBy,
        lineage: JSON.stringify(key.lineage),
        created_at: key.createdAt,
        expires_at: key.expiresAt,
        revoked_at: key.revokedAt,
        last_used_at: key.lastUsedAt,
      })
      .execute();
  }

  async find(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('vg_api_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toApiKey(row) : undefined;
  }

  async revoke(key: Pick<ApiKeyRecord, 'id' | 'tenantUid'>, at: number): Promise<void> {
    await this.db
      .updateTable('vg_api_keys')
      .set({ revoked_at: at })
      .where('id', '=', key.id)
      .where('tenant_uid', '=', key.tenantUid)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /**
   * Revokes the keys created by this token or by any token minted from it, and returns the ids
   * of all keys of that lineage. Keys outlive the token that created them, so expired tokens
   * still reach theirs.
   */
  async revokeDescendants(
    token: { readonly jti: string; readonly tenantUid: string },
    at: number,
  ): Promise<string[]> {
    const pattern = lineagePattern(token.jti);
    await this.db
      .updateTable('vg_api_keys')
      .set({ revoked_at: at })
      .where('tenant_uid', '=', token.tenantUid)
      .where('lineage', 'like', pattern)
      .where('revoked_at', 'is', null)
      .execute();
    const rows = await this.db
      .selectFrom('vg_api_keys')
      .select('id')
      .where('tenant_uid', '=', token.tenantUid)
      .where('lineage', 'like', pattern)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Keys revoked since `since`. A replica reads a key again at least every cache period, so
   * only revocations younger than that need to be held in memory.
   */
  async revokedSince(since: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('vg_api_keys')
      .select('id')
      .where('revoked_at', 'is not', null)
      .where('revoked_at', '>=', since)
      .execute();
    return rows.map((r) => r.id);
  }

  /** How many of a tenant's keys are neither revoked nor expired. */
  async countLive(tenantUid: string, now: number): Promise<number> {
    const row = await this.live(tenantUid, now)
      .select((eb) => eb.fn.countAll<number | string>().as('live'))
      .executeTakeFirst();
    return Number(row?.live ?? 0);
  }

  /** A tenant's keys that are neither revoked nor expired, by id. */
  async listLive(
    tenantUid: string,
    now: number,
    limit: number,
    after?: string,
  ): Promise<ApiKeyPage> {
    let query = this.live(tenantUid, now)
      .selectAll()
      .orderBy('id', 'asc')
      .limit(limit + 1);
    if (after !== undefined) query = query.where('id', '>', after);
    return pageOf(await query.execute(), limit, toApiKey, (key) => key.id);
  }

  /** A tenant's keys that are neither revoked nor expired at `now`. */
  private live(tenantUid: string, now: number) {
    return this.db
      .selectFrom('vg_api_keys')
      .where('tenant_uid', '=', tenantUid)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  }

  /** Records last uses, in one transaction; never moves a key's last use backwards. */
  async touch(uses: ReadonlyMap<string, number>): Promise<void> {
    if (uses.size === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const [id, at] of uses) {
        await trx
          .updateTable('vg_api_keys')
          .set({ last_used_at: at })
          .where('id', '=', id)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
          .execute();
      }
    });
  }
}

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  const time = (value: number | null): number | null => (value === null ? null : Number(value));
  return {
    id: row.id,
    tenantUid: row.tenant_uid,
    tenantId: row.tenant_id,
    name: row.name,
    roles: JSON.parse(row.roles) as string[],
    keyHash: row.key_hash,
    createdBy: row.created_by,
    lineage: JSON.parse(row.lineage) as string[],
    createdAt: Number(row.created_at),
    expiresAt: time(row.expires_at),
    revokedAt: time(row.revoked_at),
    lastUsedAt: time(row.last_used_at),
  };
}
