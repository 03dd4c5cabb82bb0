import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { SqlDatabase } from '@vecgate/core';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { TenantRegistryRepository } from './tenant-registry.repository';

const CHANNEL = 'vecgate_revocations';
/** Token ids per notification: PostgreSQL caps a payload at 8,000 bytes, a jti is 36. */
const IDS_PER_NOTIFY = 100;

/**
 * Revoked, unexpired token ids and recently revoked API key ids, in memory. A revocation is effective at once on the replica
 * that made it, on the others through NOTIFY, and at the latest after `cacheTtlMs` (the
 * periodic reload), which is the documented staleness of revocation.
 */
@Injectable()
export class RevocationList implements OnModuleInit, OnApplicationShutdown {
  private revoked = new Set<string>();
  private timer?: NodeJS.Timeout;
  private unlisten?: () => Promise<void>;
  private addedDuringReload?: Set<string>;

  constructor(
    private readonly repository: TenantRegistryRepository,
    private readonly sql: SqlDatabase,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    this.unlisten = await this.sql.listen(
      CHANNEL,
      (payload) => payload.split(',').forEach((jti) => jti && this.remember(jti)),
      // A reload that fails (the database is away again) is retried by the periodic one.
      () => void this.reload().catch(() => undefined),
    );
    // Reloading also forgets expired revocations, so the set stays small.
    this.timer = setInterval(
      () => void this.reload().catch(() => undefined),
      this.options.cacheTtlMs,
    );
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unlisten?.();
  }

  isRevoked(jti: string): boolean {
    return this.revoked.has(jti);
  }

  /** Applies revocations here at once and announces them to the other replicas. */
  async add(jtis: readonly string[]): Promise<void> {
    for (const jti of jtis) this.remember(jti);
    for (let i = 0; i < jtis.length; i += IDS_PER_NOTIFY) {
      await this.sql.notify(CHANNEL, jtis.slice(i, i + IDS_PER_NOTIFY).join(','));
    }
  }

  private remember(jti: string): void {
    this.revoked.add(jti);
    this.addedDuringReload?.add(jti);
  }

  private async reload(): Promise<void> {
    const added = new Set<string>();
    this.addedDuringReload = added;
    try {
      const now = Math.floor(Date.now() / 1000);
      // A token is accepted until `exp` plus the clock tolerance: so is its revocation kept.
      const tokens = await this.repository.tokens.revokedJtis(
        now - this.options.clockToleranceSeconds,
      );
      // A key is read from the registry again within one cache period of its revocation.
      const keys = await this.repository.apiKeys.revokedSince(
        now - 2 * Math.ceil(this.options.cacheTtlMs / 1000) - 1,
      );
      this.revoked = new Set([...tokens, ...keys, ...added]);
    } finally {
      if (this.addedDuringReload === added) this.addedDuringReload = undefined;
    }
  }
}
