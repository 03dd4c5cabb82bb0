import { Inject, Injectable } from '@nestjs/common';
import { setNewest, UnauthorizedError } from '@vecgate/core';
import { ApiKeyRecord } from '../registry/api-key-rows';
import { RevocationList } from '../registry/revocation-list';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { Principal, TenantRole } from '../tenancy.types';
import { ApiKeyFormat } from './api-key.format';
import { ApiKeyUsage } from './api-key-usage';

/** Keys whose registry rows are kept in memory, at most; the oldest entry leaves first. */
export const API_KEY_CACHE_SIZE = 10_000;

interface Entry {
  readonly record: ApiKeyRecord | undefined;
  readonly at: number;
}

/**
 * Turns a presented API key into its principal. A key that is malformed or fails its check
 * costs one HMAC and no lookup; a real key's row comes from a bounded cache whose entries live
 * at most `cacheTtlMs` (the revocation bound, as for tokens), and every use also consults the
 * revocation list, which hears of revocations on other replicas through NOTIFY.
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<ApiKeyRecord | undefined>>();

  constructor(
    private readonly format: ApiKeyFormat,
    private readonly repository: TenantRegistryRepository,
    private readonly revocations: RevocationList,
    private readonly usage: ApiKeyUsage,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async verify(key: string): Promise<Principal> {
    const presented = this.format.check(key);
    if (!presented) throw new UnauthorizedError('invalid API key', 'api_key_invalid');
    const record = await this.record(presented.id);
    if (!record || !ApiKeyFormat.matches(presented, record.keyHash)) {
      throw new UnauthorizedError('invalid API key', 'api_key_invalid');
    }
    const now = Math.floor(Date.now() / 1000);
    if (record.revokedAt !== null || this.revocations.isRevoked(record.id)) {
      throw new UnauthorizedError('the API key has been revoked', 'api_key_revoked');
    }
    if (record.expiresAt !== null && record.expiresAt <= now) {
      throw new UnauthorizedError('the API key has expired', 'api_key_expired');
    }
    this.usage.used(record.id, now);
    return {
      kind: 'tenant',
      subject: `key:${record.id}`,
      tenantId: record.tenantId,
      tenantUid: record.tenantUid,
      roles: record.roles as TenantRole[],
      apiKeyId: record.id,
      mintedBy: record.createdBy,
      issuedAt: record.createdAt,
      expiresAt: record.expiresAt ?? Number.MAX_SAFE_INTEGER,
      issuer: 'builtin',
    };
  }

  private async record(id: string): Promise<ApiKeyRecord | undefined> {
    const entry = this.entries.get(id);
    if (entry && Date.now() - entry.at < this.options.cacheTtlMs) return entry.record;
    const pending = this.loading.get(id);
    if (pending) return pending;
    const startedAt = Date.now();
    const load = this.repository.apiKeys.find(id).finally(() => {
      if (this.loading.get(id) === load) this.loading.delete(id);
    });
    this.loading.set(id, load);
    const record = await load;
    setNewest(this.entries, id, { record, at: startedAt }, API_KEY_CACHE_SIZE);
    return record;
  }
}
