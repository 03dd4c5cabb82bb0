import { Inject, Injectable } from '@nestjs/common';
import { BadRequestError, NotFoundError, UnauthorizedError } from '@vecgate/core';
import { RevocationList } from '../registry/revocation-list';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';
import { MintedTokenRecord, TokenPage } from '../registry/token-rows';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { Principal, TenantRole } from '../tenancy.types';
import { TenantService } from '../tenant.service';
import { CredentialGrant } from './grant';
import { subjectProblem } from './subject';
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
 * Mints, lists and revokes tenant tokens. The tenant comes from the route, never the body; a
 * tenant_admin mints only roles it holds; a TTL never exceeds MAX_TOKEN_TTL nor the minter's
 * own remaining lifetime; revoking a token revokes everything minted from it.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly tenants: TenantService,
    private readonly repository: TenantRegistryRepository,
    private readonly revocations: RevocationList,
    private readonly signer: TokenSigner,
    private readonly grant: CredentialGrant,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async mint(minter: Principal, tenantId: string, request: MintRequest): Promise<MintedToken> {
    const problem = subjectProblem(request.subject);
    if (problem !== undefined) throw new BadRequestError(`subject ${problem}`, 'subject');
    const roles = this.grant.roles(minter, request.roles);
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
      this.issue(minter, tenantId, roles, request, now),
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
    const lineage = await this.grant.lineage(minter, tenant);
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
    const record: MintedTokenRecord = {
      jti,
      tenantUid: tenant.uid,
      tenantId: tenant.id,
      subject: request.subject,
      roles,
      mintedBy: minter.subject,
      lineage,
      issuedAt: signed.issuedAt,
      expiresAt: signed.expiresAt,
      revokedAt: null,
    };
    await this.repository.tokens.insert(record);
    // An ancestor revoked while this token was being written (possibly on another replica)
    // either caught it in its cascade or is visible now: never hand out an orphan.
    if (await this.repository.tokens.anyRevoked(lineage)) {
      await this.revokeCascade(record, now);
      throw new UnauthorizedError('the minting token has been revoked', 'token_revoked');
    }
    return { token: signed.token, jti, expiresAt: new Date(signed.expiresAt * 1000).toISOString() };
  }

  async list(tenantId: string, limit: number, after?: string): Promise<TokenPage> {
    const tenant = await this.tenants.getLive(tenantId);
    return this.repository.tokens.listLive(tenant.uid, Math.floor(Date.now() / 1000), limit, after);
  }

  async revoke(tenantId: string, jti: string): Promise<void> {
    const tenant = await this.tenants.getLive(tenantId);
    const record = await this.repository.tokens.find(jti);
    if (!record || record.tenantUid !== tenant.uid) {
      throw new NotFoundError(`tenant ${tenantId} has no token ${jti}`);
    }
    await this.revokeCascade(record, Math.floor(Date.now() / 1000));
  }

  /** Revokes the token, the tokens minted from it and the API keys any of them created. */
  private async revokeCascade(record: MintedTokenRecord, now: number): Promise<void> {
    // Descendants still accepted (until `exp` plus the clock tolerance) are revoked too.
    const tolerance = this.options.clockToleranceSeconds;
    const tokens = await this.repository.tokens.revoke(record, now, now - tolerance);
    const keys = await this.repository.apiKeys.revokeDescendants(record, now);
    await this.revocations.add([...tokens, ...keys]);
  }
}
