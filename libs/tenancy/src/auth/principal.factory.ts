import { Inject, Injectable } from '@nestjs/common';
import { UnauthorizedError } from '@vecgate/core';
import { RevocationList } from '../registry/revocation-list';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { isPlatformRole, isTenantRole, Principal, Role, TENANT_ID_PATTERN } from '../tenancy.types';
import { subjectProblem } from '../tokens/subject';
import { TokenIssuer } from './jwt-keys';

/**
 * Turns verified claims into a principal, refusing anything ambiguous: a tenant principal has
 * the tenant claim and tenant roles only; a platform principal has no tenant claim and
 * platform roles only. Mixed tokens, tenant roles without a tenant, wrong claim types,
 * a missing `exp` or `iat`, and revoked token ids are all 401.
 */
@Injectable()
export class PrincipalFactory {
  constructor(
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
    private readonly revocations: RevocationList,
  ) {}

  claimNames(issuer: TokenIssuer): { tenant: string; roles: string } {
    const external = this.options.external;
    return issuer === 'external' && external
      ? { tenant: external.tenantClaim, roles: external.rolesClaim }
      : { tenant: this.options.tenantClaim, roles: this.options.rolesClaim };
  }

  fromClaims(claims: Record<string, unknown>, issuer: TokenIssuer): Principal {
    const expected = this.expectedIssuer(issuer);
    if (claims.iss !== expected.issuer || !audienceIncludes(claims.aud, expected.audience)) {
      throw new UnauthorizedError(
        'token issuer or audience does not match its key',
        'token_issuer',
      );
    }
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
      throw new UnauthorizedError('token has no exp claim', 'token_no_exp');
    }
    if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) {
      throw new UnauthorizedError('token has no iat claim', 'token_no_iat');
    }
    // A token "issued" later than now would outlive a deletion of its tenant id: tokens
    // without a jti are cut off by comparing iat with the deletion time.
    if (claims.iat > Date.now() / 1000 + this.options.clockToleranceSeconds) {
      throw new UnauthorizedError(
        'token iat is in the future, beyond the clock tolerance',
        'token_not_yet_valid',
      );
    }
    const subject = claims.sub;
    // A subject that is not printable could forge or hide lines of the audit trail and logs.
    if (typeof subject !== 'string' || subjectProblem(subject) !== undefined) {
      throw new UnauthorizedError('token has no valid sub claim', 'token_subject');
    }
    const mintedBy = issuer === 'builtin' ? claims.mintedBy : undefined;
    if (mintedBy !== undefined && subjectProblem(mintedBy) !== undefined) {
      throw new UnauthorizedError('invalid mintedBy claim', 'token_subject');
    }
    const names = this.claimNames(issuer);
    const rawRoles = claims[names.roles];
    if (
      !Array.isArray(rawRoles) ||
      rawRoles.length === 0 ||
      !rawRoles.every((r) => typeof r === 'string')
    ) {
      throw new UnauthorizedError(
        `claim ${names.roles} must be a non-empty array of role names`,
        'token_roles',
      );
    }
    const roles = [...new Set(rawRoles)];
    const unknown = roles.filter((r) => !isTenantRole(r) && !isPlatformRole(r));
    if (unknown.length > 0)
      throw new UnauthorizedError(`unknown roles: ${unknown.join(', ')}`, 'token_roles');

    const jti = claims.jti;
    if (jti !== undefined && (typeof jti !== 'string' || jti.length > 128)) {
      throw new UnauthorizedError('invalid jti claim', 'token_jti');
    }
    if (jti !== undefined && this.revocations.isRevoked(jti)) {
      throw new UnauthorizedError('token has been revoked', 'token_revoked');
    }

    const tenantClaim = claims[names.tenant];
    const base = {
      subject,
      roles: roles as Role[],
      tokenId: jti,
      ...(typeof mintedBy === 'string' ? { mintedBy } : {}),
      issuedAt: claims.iat,
      expiresAt: claims.exp,
      issuer,
    };
    if (tenantClaim === undefined) {
      if (!roles.every(isPlatformRole)) {
        throw new UnauthorizedError('tenant roles require a tenant claim', 'token_mixed_roles');
      }
      return { kind: 'platform', ...base };
    }
    if (typeof tenantClaim !== 'string' || !TENANT_ID_PATTERN.test(tenantClaim)) {
      throw new UnauthorizedError(
        `claim ${names.tenant} is not a valid tenant id`,
        'token_tenant_claim',
      );
    }
    if (!roles.every(isTenantRole)) {
      throw new UnauthorizedError(
        'a tenant token cannot carry platform roles',
        'token_mixed_roles',
      );
    }
    const tenantUid = issuer === 'builtin' ? claims.vg_tuid : undefined;
    if (tenantUid !== undefined && typeof tenantUid !== 'string') {
      throw new UnauthorizedError('invalid vg_tuid claim', 'token_tenant_claim');
    }
    return { kind: 'tenant', ...base, tenantId: tenantClaim, tenantUid };
  }

  /** The tenant claim of an unverified token, kept only as `claimedTenant` in the audit trail. */
  claimedTenant(claims: Record<string, unknown> | null): string | undefined {
    if (!claims) return undefined;
    for (const name of new Set([
      this.claimNames('builtin').tenant,
      this.claimNames('external').tenant,
    ])) {
      const value = claims[name];
      if (typeof value === 'string' && TENANT_ID_PATTERN.test(value)) return value;
    }
    return undefined;
  }

  private expectedIssuer(issuer: TokenIssuer): { issuer: string; audience: string } {
    const external = this.options.external;
    if (issuer === 'external' && external)
      return { issuer: external.issuer, audience: external.audience };
    return { issuer: this.options.issuer, audience: this.options.audience };
  }
}

function audienceIncludes(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}
