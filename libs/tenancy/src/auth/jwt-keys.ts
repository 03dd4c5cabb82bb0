import { Inject, Injectable } from '@nestjs/common';
import { createSecretKey, KeyObject } from 'node:crypto';
import { ExternalIssuerOptions, TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { JwksKeySet } from './jwks-key-set';

export type TokenIssuer = 'builtin' | 'external';

export interface SelectedKey {
  readonly issuer: TokenIssuer;
  readonly key: KeyObject;
}

/** Header parameters that point at keys elsewhere; vecgate never follows them. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'crit'];

/**
 * All verification keys, prepared once as KeyObjects. The algorithm family chooses the issuer
 * (HS256: the built-in issuer's secrets; RS256/ES256: the external provider's JWKS), and a
 * secret KeyObject only verifies HMAC while a public one only verifies signatures, so an
 * RS256 public key can never be used as an HMAC secret.
 */
@Injectable()
export class JwtKeys {
  private readonly hmac: ReadonlyMap<string, KeyObject>;
  private readonly jwks?: JwksKeySet;
  readonly signingKid: string;

  constructor(@Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions) {
    this.hmac = new Map(
      options.hmacKeys.map((k) => [k.kid, createSecretKey(Buffer.from(k.secret, 'utf8'))]),
    );
    const first = options.hmacKeys[0];
    if (!first) throw new Error('at least one HS256 key is required');
    this.signingKid = first.kid;
    if (options.external) this.jwks = new JwksKeySet(options.external.jwksUrl);
  }

  get external(): ExternalIssuerOptions | undefined {
    return this.options.external;
  }

  signingKey(): { kid: string; key: KeyObject } {
    return { kid: this.signingKid, key: this.hmac.get(this.signingKid) as KeyObject };
  }

  /** Picks the key for a token from its (not yet verified) header; throws a reason when none fits. */
  async select(header: Record<string, unknown>): Promise<SelectedKey> {
    for (const name of FORBIDDEN_HEADERS) {
      if (name in header) throw new Error(`token header "${name}" is not accepted`);
    }
    const kid = header.kid;
    if (kid !== undefined && (typeof kid !== 'string' || kid.length > 128))
      throw new Error('invalid kid');
    switch (header.alg) {
      case 'HS256': {
        const key = kid === undefined ? this.soleHmacKey() : this.hmac.get(kid);
        if (!key) throw new Error('unknown key id');
        return { issuer: 'builtin', key };
      }
      case 'RS256':
      case 'ES256': {
        if (!this.jwks) throw new Error(`algorithm ${header.alg} is not accepted`);
        const key = await this.jwks.key(kid);
        if (!key) throw new Error('unknown key id');
        return { issuer: 'external', key };
      }
      default:
        throw new Error(`algorithm ${String(header.alg)} is not accepted`);
    }
  }

  private soleHmacKey(): KeyObject | undefined {
    return this.hmac.size === 1 ? this.hmac.values().next().value : undefined;
  }
}
