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
        const decoded = decode(rawToken, { complete: true });
        if (!decoded || typeof decoded.header !== 'object') {
          done(new Error('jwt malformed'));
          return;
        }
        keys.select(decoded.header as unknown as Record<string, unknown>).then(
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
