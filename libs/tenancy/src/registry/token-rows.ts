import { Kysely } from 'kysely';
import { lineagePattern, pageOf } from './api-key-rows';
import { TenancyTables, TokenRow } from './tenancy.tables';

export interface MintedTokenRecord {
  readonly jti: string;
  readonly tenantUid: string;
  readonly tenantId: string;
  readonly subject: string;
  readonly roles: readonly string[];
  /** Subject of the token that minted this one. */
  readonly mintedBy: string;
  /**
   * The minted tokens this one descends from, oldest first; the last one minted it. Empty when
   * a token the registry did not mint (a platform admin's) minted it.
   */
  readonly lineage: readonly string[];
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

export interface TokenPage {
  readonly items: MintedTokenRecord[];
  readonly nextCursor: string | null;
}

/**
 * Minted tokens in the registry. Each row keeps its lineage, so revoking a token revokes
 * everything minted from it, at any depth, with one statement, and the per-request check stays
 * a lookup of the token's own id in the revocation list.
 */
export class TokenRows {
  constructor(private readonly db: Kysely<TenancyTables>) {}

  async insert(token: MintedTokenRecord): Promise<void> {
    await this.db
      .insertInto('vg_tokens')
      .values({
        jti: token.jti,
        tenant_uid: token.tenantUid,
        tenant_id: token.tenantId,
        subject: token.subject,
        roles: JSON.stringify(token.roles),
        minted_by: token.mintedBy,
        lineage: JSON.stringify(token.lineage),
        issued_at: token.issuedAt,
        expires_at: token.expiresAt,
        revoked_at: token.revokedAt,
      })
      .execute();
  }

  async find(jti: string): Promise<MintedTokenRecord | undefined> {
    const row = await this.db
      .selectFrom('vg_tokens')
      .selectAll()
      .where('jti', '=', jti)
      .executeTakeFirst();
    return row ? toToken(row) : undefined;
  }

  /**
   * Revokes a token, then every token of the same tenant whose lineage holds it, and returns
   * the ids of all of them (revoked now or before). Two statements on purpose: a token minted
   * concurrently from a descendant is either seen by the second one, or committed after the
   * first, and then `anyRevoked` on its lineage, which the minter checks after inserting, sees
   * the revocation.
   */
  async revoke(
    token: Pick<MintedTokenRecord, 'jti' | 'tenantUid'>,
    at: number,
    expiringAfter = at,
  ): Promise<string[]> {
    const { jti, tenantUid } = token;
    await this.db
      .updateTable('vg_tokens')
      .set({ revoked_at: at })
      .where('jti', '=', jti)
      .where('tenant_uid', '=', tenantUid)
      .where('revoked_at', 'is', null)
      .execute();
    const pattern = lineagePattern(jti);
    // A descendant never outlives its ancestor (a TTL is bounded by the minter's), and one
    // expired by `expiringAfter` (now less the clock tolerance the token check grants) is
    // refused anyway: only descendants still accepted need revoking and announcing.
    await this.db
      .updateTable('vg_tokens')
      .set({ revoked_at: at })
      .where('tenant_uid', '=', tenantUid)
      .where('lineage', 'like', pattern)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', expiringAfter)
      .execute();
    const rows = await this.db
      .selectFrom('vg_tokens')
      .select('jti')
      .where('tenant_uid', '=', tenantUid)
      .where((eb) =>
        eb.or([
          eb('jti', '=', jti),
          eb.and([eb('lineage', 'like', pattern), eb('expires_at', '>', expiringAfter)]),
        ]),
      )
      .execute();
    return rows.map((r) => r.jti);
  }

  /** True when any of these tokens is revoked. */
  async anyRevoked(jtis: readonly string[]): Promise<boolean> {
    if (jtis.length === 0) return false;
    const row = await this.db
      .selectFrom('vg_tokens')
      .select('jti')
      .where('jti', 'in', [...jtis])
      .where('revoked_at', 'is not', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Revoked tokens that expire after `expiringAfter`: the only ones a revocation check needs
   * when it is now less the clock tolerance the token check grants past `exp`.
   */
  async revokedJtis(expiringAfter: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('vg_tokens')
      .select('jti')
      .where('revoked_at', 'is not', null)
      .where('expires_at', '>', expiringAfter)
      .execute();
    return rows.map((r) => r.jti);
  }

  /** A tenant's tokens that are neither revoked nor expired, by jti. */
  async listLive(
    tenantUid: string,
    now: number,
    limit: number,
    after?: string,
  ): Promise<TokenPage> {
    let query = this.db
      .selectFrom('vg_tokens')
      .selectAll()
      .where('tenant_uid', '=', tenantUid)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('jti', 'asc')
      .limit(limit + 1);
    if (after !== undefined) query = query.where('jti', '>', after);
    return pageOf(await query.execute(), limit, toToken, (token) => token.jti);
  }
}

function toToken(row: TokenRow): MintedTokenRecord {
  return {
    jti: row.jti,
    tenantUid: row.tenant_uid,
    tenantId: row.tenant_id,
    subject: row.subject,
    roles: JSON.parse(row.roles) as string[],
    mintedBy: row.minted_by,
    lineage: JSON.parse(row.lineage) as string[],
    issuedAt: Number(row.issued_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
