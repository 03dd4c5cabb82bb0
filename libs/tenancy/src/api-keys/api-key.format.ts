import { Inject, Injectable } from '@nestjs/common';
import { trimOldest } from '@vecgate/core';
import {
  createHmac,
  createSecretKey,
  hkdfSync,
  KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';

/** What every key starts with, so secret scanners can recognise a leaked one. */
export const API_KEY_PREFIX = 'vgk_';
/** `vgk_`, the key id (24 hex digits), `_`, then 56 base64url characters: secret and check. */
export const API_KEY_PATTERN = /^vgk_([0-9a-f]{24})_([A-Za-z0-9_-]{56})$/;
/** Label of the HKDF derivation from the first JWT secret, when API_KEY_SECRET is not set. */
export const API_KEY_HKDF_LABEL = 'vecgate api-key hmac v1';

const SECRET_BYTES = 32;
/** Leading bytes of the key's HMAC carried in the key: a guessed key fails on them alone. */
const CHECK_BYTES = 10;
/** Keys whose check held, remembered with their HMAC at most; the oldest leaves first. */
export const CHECKED_KEYS_MAX = 10_000;

export interface IssuedKey {
  readonly id: string;
  readonly key: string;
  /** HMAC-SHA256 of the key's id and secret, hex: all the registry keeps. */
  readonly hash: string;
}

export interface PresentedKey {
  readonly id: string;
  readonly digest: Buffer;
}

/**
 * Makes and checks tenant API keys. A key is `vgk_<id>_<base64url(secret ‖ check)>` with a
 * 256-bit random secret; its hash is HMAC-SHA256(K, id ‖ secret), stored in the registry, and
 * the check is the first 10 bytes of that same HMAC. So a presented key costs one HMAC: a
 * guessed or altered one fails its check without any lookup, and a real one is compared with
 * its stored hash in constant time. K is API_KEY_SECRET, or derived with HKDF-SHA256 from the
 * first JWT secret, the same on every replica either way.
 *
 * The HMAC is a function of the key alone, so a key whose check held is remembered with it
 * (at most `CHECKED_KEYS_MAX`, as the token cache keeps whole tokens): a client that sends its
 * key on every request pays the HMAC once. A key that fails is never remembered, so a flood of
 * guesses costs one HMAC each and cannot push real keys out. Whether the key is still valid
 * (its row, revocation, expiry) is decided on every use by the verifier.
 */
@Injectable()
export class ApiKeyFormat {
  private readonly key: KeyObject;
  private readonly checked = new Map<string, PresentedKey>();

  constructor(@Inject(TENANCY_OPTIONS) options: TenancyOptions) {
    this.key = createSecretKey(apiKeyHmacSecret(options));
  }

  issue(): IssuedKey {
    const id = randomBytes(12).toString('hex');
    const secret = randomBytes(SECRET_BYTES);
    const digest = this.digest(id, secret);
    const body = Buffer.concat([secret, digest.subarray(0, CHECK_BYTES)]).toString('base64url');
    return { id, key: `${API_KEY_PREFIX}${id}_${body}`, hash: digest.toString('hex') };
  }

  /** The key's id and full HMAC when the key is well formed and its check holds. */
  check(key: string): PresentedKey | undefined {
    const known = this.checked.get(key);
    if (known) return known;
    const presented = this.checkOnce(key);
    if (presented) {
      this.checked.set(key, presented);
      trimOldest(this.checked, CHECKED_KEYS_MAX);
    }
    return presented;
  }

  private checkOnce(key: string): PresentedKey | undefined {
    const match = API_KEY_PATTERN.exec(key);
    if (!match) return undefined;
    const [, id = '', body = ''] = match;
    const bytes = Buffer.from(body, 'base64url');
    const digest = this.digest(id, bytes.subarray(0, SECRET_BYTES));
    const check = bytes.subarray(SECRET_BYTES);
    return check.length === CHECK_BYTES && timingSafeEqual(check, digest.subarray(0, CHECK_BYTES))
      ? { id, digest }
      : undefined;
  }

  /** Constant-time comparison of a presented key's HMAC with the hash stored for its id. */
  static matches(presented: PresentedKey, storedHash: string): boolean {
    const stored = Buffer.from(storedHash, 'hex');
    return stored.length === presented.digest.length && timingSafeEqual(stored, presented.digest);
  }

  private digest(id: string, secret: Buffer): Buffer {
    return createHmac('sha256', this.key).update(id).update(secret).digest();
  }
}

/** K: API_KEY_SECRET as given, else HKDF-SHA256 of the first JWT secret with a fixed label. */
export function apiKeyHmacSecret(options: TenancyOptions): Buffer {
  if (options.apiKeySecret !== undefined) return Buffer.from(options.apiKeySecret, 'utf8');
  const first = options.hmacKeys[0];
  if (!first) throw new Error('API keys need API_KEY_SECRET or a JWT secret to derive it from');
  return Buffer.from(
    hkdfSync('sha256', Buffer.from(first.secret, 'utf8'), Buffer.alloc(0), API_KEY_HKDF_LABEL, 32),
  );
}
