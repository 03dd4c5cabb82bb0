import { Injectable } from '@nestjs/common';
import { decode } from 'jsonwebtoken';
import passport from 'passport';
import { UnauthorizedError, VecgateError } from '@vecgate/core';
import { RevocationList } from '../registry/revocation-list';
import { Principal } from '../tenancy.types';
import { JWT_STRATEGY, JwtStrategy } from './jwt.strategy';
import { PrincipalFactory } from './principal.factory';
import { VerifiedTokens } from './verified-tokens';

/** Tokens above this size are refused before any parsing. */
export const MAX_TOKEN_BYTES = 8192;

export interface AuthenticationFailure {
  readonly error: UnauthorizedError;
  /** Tenant claimed by the unverified token, if any (never trusted). */
  readonly claimedTenant?: string;
}

/**
 * Runs the passport-jwt strategy on a raw request, early in the request (before the body is
 * read), and returns the principal or a 401 with the reason.
 */
@Injectable()
export class Authenticator {
  private readonly authenticateWith: (
    callback: (err: unknown, user: Principal | false, info: unknown) => void,
  ) => (req: unknown, res: unknown, next: () => void) => void;
  private readonly verified = new VerifiedTokens();

  constructor(
    _strategy: JwtStrategy,
    private readonly principals: PrincipalFactory,
    private readonly revocations: RevocationList,
  ) {
    this.authenticateWith = (callback) =>
      passport.authenticate(JWT_STRATEGY, { session: false }, callback) as never;
  }

  authenticate(rawRequest: {
    headers: Record<string, string | string[] | undefined>;
  }): Promise<Principal> {
    const header = rawRequest.headers.authorization;
    if (header === undefined) {
      return Promise.reject(new UnauthorizedError('missing bearer token', 'token_missing'));
    }
    if (typeof header !== 'string' || header.length > MAX_TOKEN_BYTES) {
      return Promise.reject(
        new UnauthorizedError('authorization header is too large', 'token_too_large'),
      );
    }
    if (!/^Bearer [A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*\.[A-Za-z0-9\-_]*$/.test(header)) {
      return Promise.reject(
        new UnauthorizedError('authorization must be "Bearer <jwt>"', 'token_malformed'),
      );
    }
    const known = this.verified.get(header);
    if (known) {
      if (known.tokenId === undefined || !this.revocations.isRevoked(known.tokenId)) {
        return Promise.resolve(known);
      }
      this.verified.forget(header);
    }
    return new Promise((resolve, reject) => {
      this.authenticateWith((err, user, info) => {
        if (err) {
          reject(
            err instanceof VecgateError
              ? err
              : new UnauthorizedError('invalid token', 'token_invalid'),
          );
        } else if (!user) {
          const message = info instanceof Error ? info.message : 'invalid token';
          reject(new UnauthorizedError(message, reasonOf(message)));
        } else {
          this.verified.remember(header, user);
          resolve(user);
        }
      })(rawRequest, {}, () => undefined);
    });
  }

  /** The tenant an unverified token claims, for the audit trail only. */
  claimedTenant(rawRequest: {
    headers: Record<string, string | string[] | undefined>;
  }): string | undefined {
    const header = rawRequest.headers.authorization;
    if (
      typeof header !== 'string' ||
      header.length > MAX_TOKEN_BYTES ||
      !header.startsWith('Bearer ')
    ) {
      return undefined;
    }
    const payload = decode(header.slice(7), { json: true });
    return this.principals.claimedTenant(payload);
  }
}

function reasonOf(message: string): string {
  if (message.includes('expired')) return 'token_expired';
  if (message.includes('not active')) return 'token_not_yet_valid';
  if (message.includes('signature')) return 'token_signature';
  if (message.includes('algorithm') || message.includes('header')) return 'token_algorithm';
  if (message.includes('audience') || message.includes('issuer')) return 'token_issuer';
  if (message.includes('key id')) return 'token_unknown_key';
  return 'token_invalid';
}
