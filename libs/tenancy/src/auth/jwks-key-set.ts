import { Logger } from '@nestjs/common';
import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';

const MIN_REFRESH_INTERVAL_MS = 30_000;
const FETCH_TIMEOUT_MS = 5_000;

interface Jwk extends JsonWebKey {
  kid?: string;
  use?: string;
  alg?: string;
}

/**
 * Public keys of an external identity provider, imported once into KeyObjects. An unknown
 * `kid` triggers a refresh at most every 30 s, so forged kids cannot hammer the provider.
 */
export class JwksKeySet {
  private readonly logger = new Logger(JwksKeySet.name);
  private keys = new Map<string, KeyObject>();
  private lastFetch = 0;
  private inflight?: Promise<void>;

  constructor(private readonly url: string) {}

  async key(kid: string | undefined): Promise<KeyObject | undefined> {
    const found = this.lookup(kid);
    if (found) return found;
    if (Date.now() - this.lastFetch >= MIN_REFRESH_INTERVAL_MS) await this.refresh();
    return this.lookup(kid);
  }

  private lookup(kid: string | undefined): KeyObject | undefined {
    if (kid !== undefined) return this.keys.get(kid);
    return this.keys.size === 1 ? this.keys.values().next().value : undefined;
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    this.lastFetch = Date.now();
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const body = (await response.json()) as { keys?: Jwk[] };
      const next = new Map<string, KeyObject>();
      for (const jwk of body.keys ?? []) {
        if (jwk.use && jwk.use !== 'sig') continue;
        if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') continue;
        try {
          next.set(jwk.kid ?? '', createPublicKey({ key: jwk, format: 'jwk' }));
        } catch (err) {
          this.logger.warn(`skipping JWKS key ${jwk.kid ?? '(no kid)'}: ${(err as Error).message}`);
        }
      }
      this.keys = next;
    } catch (err) {
      this.logger.warn(`JWKS refresh from ${this.url} failed: ${(err as Error).message}`);
    }
  }
}
