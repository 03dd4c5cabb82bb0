import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';

/** How often the last uses gathered in memory are written to the registry. */
export const API_KEY_USAGE_FLUSH_MS = 60_000;
/** Keys whose last use one transaction writes. */
export const API_KEY_USAGE_BATCH = 256;

/**
 * When each API key was last used, gathered in memory and written to the registry in one
 * batch per minute (and before a listing or a shutdown), never once per request. A key's
 * `lastUsedAt` is therefore at most a minute behind, per replica.
 */
@Injectable()
export class ApiKeyUsage implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyUsage.name);
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly repository: TenantRegistryRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), API_KEY_USAGE_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  /** Notes a use; bounded by the number of keys in use, one entry each. */
  used(id: string, at: number): void {
    this.pending.set(id, at);
  }

  /**
   * Writes the uses noted so far, `API_KEY_USAGE_BATCH` keys per transaction with a turn of the
   * event loop between two (on SQLite each update runs on the event loop: 50,000 keys in one
   * transaction held it for a second); kept for the next flush when the registry is away.
   */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const uses = [...this.pending];
    this.pending = new Map();
    for (let at = 0; at < uses.length; at += API_KEY_USAGE_BATCH) {
      if (at > 0) await nextTurn();
      const batch = new Map(uses.slice(at, at + API_KEY_USAGE_BATCH));
      try {
        await this.repository.apiKeys.touch(batch);
      } catch (err) {
        for (const [id, when] of uses.slice(at))
          if ((this.pending.get(id) ?? 0) < when) this.pending.set(id, when);
        this.logger.warn(`could not record API key uses: ${(err as Error).message}`);
        return;
      }
    }
  }
}
