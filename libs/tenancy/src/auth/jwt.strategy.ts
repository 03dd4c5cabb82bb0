import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { decode } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { Principal } from '../tenancy.types';
import { JwtKeys, TokenIssuer } from './jwt-keys';
import { PrincipalFactory } from './principal.factory';

export const JWT_STRATEGY = 'vecgate-jwt';
const ISSUER_OF_REQUEST = Symbol('vecgate.tokenIssuer');

// passport-jwt's types say string | Buffer; jsonwebtoken accepts the KeyObject handed over here.
type KeyCallback = (err: Error | null, key?: string | Buffer) => void;
type RequestWithIssuer = { [ISSUER_OF_REQUEST]?: TokenIssuer };

/**
 * passport-jwt with keys prepared as KeyObjects (a string secret costs tens of times more per
 * verify), an algorithm allow-list, required `exp`, issuer and audience checks, and a small
 * clock tolerance.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(
    keys: JwtKeys,
    private readonly principals: PrincipalFactory,
    @Inject(TENANCY_OPTIONS) options: TenancyOptions,
  ) {
    const issuers = [options.issuer, ...(options.external ? [options.external.issuer] : [])];
    const audiences = [options.audience, ...(options.external ? [options.external.audience] : [])];
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (request: RequestWithIssuer, rawToken: string, done: KeyCallback) => {
        const decoded = decodedToken(rawToken);
        if (!decoded) {
          done(new Error('jwt malformed'));
          return;
        }
        keys.select(decoded.header).then(
          (selected) => {
            request[ISSUER_OF_REQUEST] = selected.issuer;
            done(null, selected.key as unknown as Buffer);
          },
          (err: Error) => done(err),
        );
      },
      algorithms: ['HS256', 'RS256', 'ES256'],
      issuer: issuers,
      audience: audiences,
      jsonWebTokenOptions: { clockTolerance: options.clockToleranceSeconds },
      passReqToCallback: true,
    });
  }

  validate(request: RequestWithIssuer, payload: Record<string, unknown>): Principal {
    return this.principals.fromClaims(payload, request[ISSUER_OF_REQUEST] ?? 'builtin');
  }
}

/**
 * The header and payload of an unverified token when both are JSON objects, else undefined.
 * jsonwebtoken reads a payload such as `null` while verifying and throws past its callback
 * (an unhandled rejection here, which ends the process), and a payload that is not JSON at
 * all makes `decode` throw: both are malformed tokens, refused with 401 before any key is
 * looked up.
 */
export function decodedToken(
  rawToken: string,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  let decoded: ReturnType<typeof decode>;
  try {
    decoded = decode(rawToken, { complete: true, json: true });
  } catch {
    return undefined;
  }
  if (!decoded || !isObject(decoded.header) || !isObject(decoded.payload)) return undefined;
  return decoded as unknown as {
    header: Record<string, unknown>;
    payload: Record<string, unknown>;
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
