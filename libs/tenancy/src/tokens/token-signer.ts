import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { JwtKeys } from '../auth/jwt-keys';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { Role } from '../tenancy.types';

export interface TokenClaims {
  readonly subject: string;
  readonly roles: readonly Role[];
  readonly ttlSeconds: number;
  readonly tenantId?: string;
  readonly tenantUid?: string;
  readonly mintedBy?: string;
  /** Omit for tokens that are not tracked for revocation (development tokens). */
  readonly jti?: string;
}

export interface SignedToken {
  readonly token: string;
  readonly jti: string | undefined;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** Signs HS256 tokens of the built-in issuer with the first configured key (its `kid` set). */
@Injectable()
export class TokenSigner {
  constructor(
    private readonly keys: JwtKeys,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  sign(claims: TokenClaims, now = Math.floor(Date.now() / 1000)): SignedToken {
    const { kid, key } = this.keys.signingKey();
    const expiresAt = now + claims.ttlSeconds;
    const payload: Record<string, unknown> = {
      iss: this.options.issuer,
      aud: this.options.audience,
      sub: claims.subject,
      iat: now,
      exp: expiresAt,
      [this.options.rolesClaim]: claims.roles,
    };
    if (claims.tenantId !== undefined) payload[this.options.tenantClaim] = claims.tenantId;
    if (claims.tenantUid !== undefined) payload.vg_tuid = claims.tenantUid;
    if (claims.mintedBy !== undefined) payload.mintedBy = claims.mintedBy;
    if (claims.jti !== undefined) payload.jti = claims.jti;
    const token = sign(payload, key, { algorithm: 'HS256', keyid: kid });
    return { token, jti: claims.jti, issuedAt: now, expiresAt };
  }

  static newTokenId(): string {
    return randomUUID();
  }
}
