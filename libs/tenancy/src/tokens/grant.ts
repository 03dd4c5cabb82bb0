import { Injectable } from '@nestjs/common';
import { ForbiddenError, UnauthorizedError, BadRequestError } from '@vecgate/core';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';
import { isTenantRole, Principal, Tenant, TenantRole } from '../tenancy.types';

/** How many minted tokens a credential may descend from: each mint from a minted token adds one. */
export const MAX_MINT_DEPTH = 16;

/** Keys cannot mint: neither tokens, nor keys, nor backend-native tokens. */
export function assertMayGrant(principal: Principal): void {
  if (principal.apiKeyId !== undefined) {
    throw new ForbiddenError('an API key cannot mint tokens or create keys', 'api_key_cannot_mint');
  }
}

/**
 * What a principal may hand out for a tenant, the same for tokens and API keys: tenant roles
 * only, a tenant_admin only roles it holds, never anything by an API key, and the lineage the
 * new credential records so that revoking any ancestor revokes it too.
 */
@Injectable()
export class CredentialGrant {
  constructor(private readonly repository: TenantRegistryRepository) {}

  /** The requested roles, deduplicated, once the minter may grant each of them. */
  roles(minter: Principal, requested: readonly string[]): TenantRole[] {
    assertMayGrant(minter);
    const roles = [...new Set(requested)];
    if (roles.length === 0) throw new BadRequestError('roles must not be empty', 'roles');
    const notTenantRoles = roles.filter((r) => !isTenantRole(r));
    if (notTenantRoles.length > 0) {
      throw new ForbiddenError(
        `only tenant roles can be granted, not ${notTenantRoles.join(', ')}`,
        'mint_role',
      );
    }
    if (minter.kind === 'tenant') {
      const lacking = roles.filter((r) => !minter.roles.includes(r as TenantRole));
      if (lacking.length > 0) {
        throw new ForbiddenError(
          `a tenant_admin can grant only roles it holds; lacking ${lacking.join(', ')}`,
          'mint_role',
        );
      }
    }
    return roles as TenantRole[];
  }

  /** The ancestors a new credential records: the minter's own lineage and the minter, if minted. */
  async lineage(minter: Principal, tenant: Tenant): Promise<string[]> {
    if (minter.kind !== 'tenant' || minter.tokenId === undefined) return [];
    const own = await this.repository.tokens.find(minter.tokenId);
    if (!own || own.tenantUid !== tenant.uid) return [];
    // The revocation list of this replica may not have heard of it yet; the registry has.
    if (own.revokedAt !== null || (await this.repository.tokens.anyRevoked(own.lineage))) {
      throw new UnauthorizedError('the minting token has been revoked', 'token_revoked');
    }
    if (own.lineage.length + 1 > MAX_MINT_DEPTH) {
      throw new ForbiddenError(
        `a token can descend from at most ${MAX_MINT_DEPTH} minted tokens; mint from an earlier one`,
        'mint_depth',
      );
    }
    return [...own.lineage, own.jti];
  }
}
