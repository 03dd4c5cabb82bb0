import { Inject, Injectable } from '@nestjs/common';
import { BadRequestError, ForbiddenError, NotFoundError } from '@vecgate/core';
import { RevocationList } from '../registry/revocation-list';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { isTenantRole, Principal, TenantRole } from '../tenancy.types';
import { TenantService } from '../tenant.service';
import { TokenSigner } from './token-signer';

export interface MintRequest {
  readonly subject: string;
  readonly roles: readonly string[];
  readonly ttlSeconds: number;
}

export interface MintedToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresAt: string;
}

/**
 * Mints and revokes tenant tokens. The tenant comes from the route, never the body; a
 * tenant_admin mints only roles it holds; a TTL never exceeds MAX_TOKEN_TTL nor the
 * minter's own remaining lifetime.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly tenants: TenantService,
    private readonly repository: TenantRegistryRepository,
    private readonly revocations: RevocationList,
    private readonly signer: TokenSigner,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async mint(minter: Principal, tenantId: string, request: MintRequest): Promise<MintedToken> {
    const roles = [...new Set(request.roles)];
    const notTenantRoles = roles.filter((r) => !isTenantRole(r));
    if (roles.length === 0) throw new BadRequestError('roles must not be empty', 'roles');
    if (notTenantRoles.length > 0) {
      throw new ForbiddenError(
        `only tenant roles can be minted, not ${notTenantRoles.join(', ')}`,
        'mint_role',
      );
    }
    if (minter.kind === 'tenant') {
      const lacking = roles.filter((r) => !minter.roles.includes(r as TenantRole));
      if (lacking.length > 0) {
        throw new ForbiddenError(
          `a tenant_admin can mint only roles it holds; lacking ${lacking.join(', ')}`,
          'mint_role',
        );
      }
    }
    const now = Math.floor(Date.now() / 1000);
    if (request.ttlSeconds > this.options.maxTokenTtlSeconds) {
      throw new BadRequestError(
        `ttlSeconds must be at most ${this.options.maxTokenTtlSeconds}`,
        'ttlSeconds',
      );
    }
    if (request.ttlSeconds > minter.expiresAt - now) {
      throw new BadRequestError(
        `ttlSeconds must not outlive the minter's own token (${Math.max(0, minter.expiresAt - now)} s left)`,
        'ttlSeconds',
      );
    }
    return this.tenants.exclusive(tenantId, () =>
      this.issue(minter, tenantId, roles as TenantRole[], request, now),
    );
  }

  private async issue(
    minter: Principal,
    tenantId: string,
    roles: TenantRole[],
    request: MintRequest,
    now: number,
  ): Promise<MintedToken> {
    const tenant = await this.tenants.getLive(tenantId);
    const jti = TokenSigner.newTokenId();
    const signed = this.signer.sign(
      {
        subject: request.subject,
        roles,
        ttlSeconds: request.ttlSeconds,
        tenantId: tenant.id,
        tenantUid: tenant.uid,
        mintedBy: minter.subject,
        jti,
      },
      now,
    );
    await this.repository.insertToken({
      jti,
      tenantUid: tenant.uid,
      tenantId: tenant.id,
      subject: request.subject,
      roles,
      mintedBy: minter.subject,
      issuedAt: signed.issuedAt,
      expiresAt: signed.expiresAt,
      revokedAt: null,
    });
    return { token: signed.token, jti, expiresAt: new Date(signed.expiresAt * 1000).toISOString() };
  }

  async revoke(tenantId: string, jti: string): Promise<void> {
    const tenant = await this.tenants.getLive(tenantId);
    const record = await this.repository.findToken(jti);
    if (!record || record.tenantUid !== tenant.uid) {
      throw new NotFoundError(`tenant ${tenantId} has no token ${jti}`);
    }
    await this.repository.revokeToken(jti, Math.floor(Date.now() / 1000));
    await this.revocations.add(jti);
  }
}
