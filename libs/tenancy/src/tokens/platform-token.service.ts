import { Inject, Injectable } from '@nestjs/common';
import { BadRequestError, NotFoundError } from '@vecgate/core';
import { RevocationList } from '../registry/revocation-list';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { isPlatformRole, PlatformRole } from '../tenancy.types';
import { subjectProblem } from './subject';
import { TokenSigner } from './token-signer';
import type { MintedToken, MintRequest } from './token.service';

/** A platform token has no tenant: its record carries an empty tenant uid and id. */
const NO_TENANT = '';

/**
 * Platform tokens from the operator's shell (`vecgate token`), for the first platform admin of
 * a deployment, when no token exists yet to call the API with. Signed by the same signer as
 * minted tenant tokens and recorded in the same table, so they carry a `jti`, are refused once
 * revoked (on every replica, within the revocation staleness) and are listed with their minter.
 */
@Injectable()
export class PlatformTokenService {
  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly revocations: RevocationList,
    private readonly signer: TokenSigner,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async mint(request: MintRequest, mintedBy: string): Promise<MintedToken> {
    const roles = [...new Set(request.roles)];
    if (roles.length === 0) throw new BadRequestError('roles must not be empty', 'roles');
    const other = roles.filter((role) => !isPlatformRole(role));
    if (other.length > 0) {
      throw new BadRequestError(
        `only platform roles here (tenant tokens are minted through the API): not ${other.join(', ')}`,
        'roles',
      );
    }
    const subjectIssue = subjectProblem(request.subject);
    if (subjectIssue) throw new BadRequestError(`subject ${subjectIssue}`, 'subject');
    const max = this.options.maxTokenTtlSeconds;
    if (
      !Number.isInteger(request.ttlSeconds) ||
      request.ttlSeconds < 60 ||
      request.ttlSeconds > max
    ) {
      throw new BadRequestError(`ttl must be an integer from 60 to ${max} seconds`, 'ttlSeconds');
    }
    const jti = TokenSigner.newTokenId();
    const signed = this.signer.sign({
      subject: request.subject,
      roles: roles as PlatformRole[],
      ttlSeconds: request.ttlSeconds,
      mintedBy,
      jti,
    });
    await this.repository.tokens.insert({
      jti,
      tenantUid: NO_TENANT,
      tenantId: NO_TENANT,
      subject: request.subject,
      roles,
      mintedBy,
      // A platform token is a root: tenant tokens minted from it start lineages of their own.
      lineage: [],
      issuedAt: signed.issuedAt,
      expiresAt: signed.expiresAt,
      revokedAt: null,
    });
    return { token: signed.token, jti, expiresAt: new Date(signed.expiresAt * 1000).toISOString() };
  }

  /** Revokes a platform token recorded by `mint`; tenant tokens are revoked through the API. */
  async revoke(jti: string): Promise<void> {
    const record = await this.repository.tokens.find(jti);
    if (!record || record.tenantUid !== NO_TENANT) {
      throw new NotFoundError(`no platform token ${jti}`);
    }
    const revoked = await this.repository.tokens.revoke(
      { jti, tenantUid: NO_TENANT },
      Math.floor(Date.now() / 1000),
    );
    await this.revocations.add(revoked);
  }
}
