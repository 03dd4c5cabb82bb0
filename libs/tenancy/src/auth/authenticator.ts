import { Injectable } from '@nestjs/common';
import passport from 'passport';
import { UnauthorizedError, VecgateError } from '@vecgate/core';
import { ApiKeyVerifier } from '../api-keys/api-key.verifier';
import { API_KEY_PREFIX } from '../api-keys/api-key.format';
import { RevocationList } from '../registry/revocation-list';
import { Principal } from '../tenancy.types';
import { decodedToken, JWT_STRATEGY, JwtStrategy } from './jwt.strategy';
import { PrincipalFactory } from './principal.factory';
import { VerifiedTokens } from './verified-tokens';

/** Tokens above this size are refused before any parsing. */
export const MAX_TOKEN_BYTES = 8192;

export interface AuthenticationFailure {
  readonly error: UnauthorizedError;
  /** Tenant claimed by the unverified token, if any (never trusted). */
  readonly claimedTenant?: string;
}

type Credential = { kind: 'jwt' } | { kind: 'api_key'; key: string };

/**
 * The one credential a request carries: a JWT or an API key as `Authorization: Bearer`, or an
 * API key in the `api-key` header (as Pinecone and Qdrant clients send it; `Api-Key` is the
 * same header). Two different credentials are refused, whichever would have been valid.
 */
function credentialOf(request: RawCredentials): Credential {
  const { headers } = request;
  const authorization = oneHeader(headers.authorization);
  const apiKey = oneHeader(headers['api-key']);
  if (request.rawHeaders && repeatsCredential(request.rawHeaders)) {
    throw new UnauthorizedError(
      'the request repeats a credential header (authorization or api-key)',
      'credentials_conflict',
    );
  }
  if (authorization === undefined && apiKey === undefined) {
    throw new UnauthorizedError('missing bearer token or API key', 'token_missing');
  }
  const bearer = authorization !== undefined ? bearerOf(authorization) : undefined;
  if (apiKey !== undefined) {
    if (authorization !== undefined && bearer !== apiKey) {
      throw new UnauthorizedError(
        'the request carries two different credentials (authorization and api-key)',
        'credentials_conflict',
      );
    }
    return { kind: 'api_key', key: apiKey };
  }
  if (bearer?.startsWith(API_KEY_PREFIX)) return { kind: 'api_key', key: bearer };
  return { kind: 'jwt' };
}

/** The credential of a `Bearer` authorization (the scheme in any case, as RFC 9110 has it). */
function bearerOf(authorization: string): string | undefined {
  return /^bearer /i.test(authorization) ? authorization.slice(7) : undefined;
}

/** What authentication reads of a request: its headers, and as received when known. */
export interface RawCredentials {
  readonly headers: Record<string, string | string[] | undefined>;
  /** Names and values in arrival order (Node's `rawHeaders`): repeats are visible here only. */
  readonly rawHeaders?: readonly string[];
}

/**
 * Whether a credential header came more than once. Node keeps the first of repeated
 * `Authorization` headers and joins repeated `api-key` ones, so such a request would be judged
 * on one of them, where a proxy in front may have judged it on the other. The same key in
 * `Authorization` and in `api-key` is one credential, not a repeat.
 */
function repeatsCredential(rawHeaders: readonly string[]): boolean {
  let authorization = 0;
  let apiKey = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    // Lengths first: most names are neither, and are not lower-cased.
    if (name.length === 13 && name.toLowerCase() === 'authorization') authorization++;
    else if (name.length === 7 && name.toLowerCase() === 'api-key') apiKey++;
  }
  return authorization > 1 || apiKey > 1;
}

/** A credential header sent once and within MAX_TOKEN_BYTES, or undefined when absent. */
function oneHeader(value: string | string[] | undefined): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || value.length > MAX_TOKEN_BYTES)) {
    throw new UnauthorizedError('a credential header is too large or repeated', 'token_too_large');
  }
  return value;
}

/**
 * Authenticates a raw request early (before the body is read) with its API key, or its JWT
 * through the passport-jwt strategy, and returns the principal or a 401 with the reason.
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
    private readonly apiKeys: ApiKeyVerifier,
    private readonly revocations: RevocationList,
  ) {
    this.authenticateWith = (callback) =>
      passport.authenticate(JWT_STRATEGY, { session: false }, callback) as never;
  }

  async authenticate(rawRequest: RawCredentials): Promise<Principal> {
    const credential = credentialOf(rawRequest);
    if (credential.kind === 'api_key') return this.apiKeys.verify(credential.key);
    return this.verifyJwt(rawRequest);
  }

  private verifyJwt(rawRequest: {
    headers: Record<string, string | string[] | undefined>;
  }): Promise<Principal> {
    const header = rawRequest.headers.authorization as string;
    if (!/^Bearer [A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*\.[A-Za-z0-9\-_]*$/i.test(header)) {
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
    const token =
      typeof header === 'string' && header.length <= MAX_TOKEN_BYTES ? bearerOf(header) : undefined;
    if (token === undefined) return undefined;
    return this.principals.claimedTenant(decodedToken(token)?.payload ?? null);
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
