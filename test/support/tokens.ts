import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  KeyObject,
  randomUUID,
} from 'node:crypto';
import { decode, sign, SignOptions } from 'jsonwebtoken';
import type { GatewayConfig } from '../../apps/gateway/src/config/gateway.config';

export const TEST_SECRET = 'test-secret-of-at-least-thirty-two-characters';

type Claims = Record<string, unknown>;

/**
 * Secrets as prepared keys: given a string, jsonwebtoken first tries it as a PEM private key
 * and only then as an HMAC secret, and that failed parse cost about a millisecond per token.
 */
const keys = new Map<string, KeyObject>();

function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

function b64url(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

/** Signs test tokens the way the built-in issuer does, plus every kind of forgery. */
export class Tokens {
  constructor(private readonly config: GatewayConfig) {}

  private base(claims: Claims): Claims {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.config.tenancy.issuer,
      aud: this.config.tenancy.audience,
      sub: 'test-subject',
      iat: now - 1,
      exp: now + 3600,
      ...claims,
    };
  }

  signed(claims: Claims, options: SignOptions = {}, secret = TEST_SECRET): string {
    const algorithm = options.algorithm ?? 'HS256';
    const key = algorithm.startsWith('HS') ? keyOf(secret) : secret;
    return sign(this.base(claims), key, { ...options, algorithm });
  }

  platform(roles: string[] = ['platform_admin'], claims: Claims = {}): string {
    return this.signed({ sub: 'platform-operator', roles, ...claims });
  }

  tenant(tenantId: string, roles: string[], claims: Claims = {}): string {
    return this.signed({
      sub: `${tenantId}-service`,
      tenant_id: tenantId,
      roles,
      jti: randomUUID(),
      ...claims,
    });
  }

  /** Any header and payload, signed with HMAC over the test secret (or unsigned for alg none). */
  raw(header: Claims, payload: Claims, secret: string | Buffer | null = TEST_SECRET): string {
    const head = b64url(header);
    const body = b64url(this.base(payload));
    if (secret === null) return `${head}.${body}.`;
    const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${signature}`;
  }

  /** An RS256 key pair whose public half an attacker would try as an HMAC secret. */
  static rsaPair(): { privateKey: string; publicKey: string } {
    return generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
  }
}

export const bearer = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
});

/**
 * A TTL a token can mint with: `wanted` seconds, or a little less than the minter's own
 * remaining lifetime, so a chain of mints never asks a child to outlive its parent.
 */
export function ttlFrom(minter: string, wanted = 600): number {
  const exp = (decode(minter) as { exp: number }).exp;
  return Math.min(wanted, exp - Math.floor(Date.now() / 1000) - 5);
}
