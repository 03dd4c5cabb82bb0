import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';

/** How often the last uses gathered in memory are written to the registry. */
export const API_KEY_USAGE_FLUSH_MS = 60_000;

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

  /** Writes the uses noted so far; kept for the next flush when the registry is away. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.repository.apiKeys.touch(batch);
    } catch (err) {
      for (const [id, at] of batch) if ((this.pending.get(id) ?? 0) < at) this.pending.set(id, at);
      this.logger.warn(`could not record API key uses: ${(err as Error).message}`);
    }
  }
}
