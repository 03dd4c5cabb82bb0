import { trimOldest } from '@vecgate/core';
import { Principal } from '../tenancy.types';

/** Tokens kept at most; the oldest is forgotten first. */
const MAX_ENTRIES = 4096;
/** Longer tokens are verified every time, so the cache stays within a few megabytes. */
const MAX_TOKEN_CHARS = 2048;
/** A key withdrawn from a JWKS stops admitting its tokens within this time. */
const MAX_AGE_MS = 60_000;

interface Entry {
  readonly principal: Principal;
  readonly until: number;
}

/**
 * Principals of tokens already verified, keyed by the whole authorization header, so a
 * client that sends the same token again skips the signature check and claim parsing. An
 * entry ends at the token's `exp` (the verifier's clock tolerance is not extended to it: an
 * expiring token is verified again, in full) or after `MAX_AGE_MS`, whichever comes first.
 * Revocation is checked by the caller on every use, so a revoked token is refused as soon as
 * the revocation list knows it.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  get(header: string, now = Date.now()): Principal | undefined {
    const entry = this.entries.get(header);
    if (!entry) return undefined;
    if (now < entry.until) return entry.principal;
    this.entries.delete(header);
    return undefined;
  }

  remember(header: string, principal: Principal, now = Date.now()): void {
    if (header.length > MAX_TOKEN_CHARS) return;
    const until = Math.min(principal.expiresAt * 1000, now + MAX_AGE_MS);
    if (until <= now) return;
    this.entries.set(header, { principal, until });
    trimOldest(this.entries, MAX_ENTRIES);
  }

  forget(header: string): void {
    this.entries.delete(header);
  }

  get size(): number {
    return this.entries.size;
  }
}
