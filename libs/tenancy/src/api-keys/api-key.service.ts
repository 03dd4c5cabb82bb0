import { Inject, Injectable } from '@nestjs/common';
import {
  BadRequestError,
  ConflictError,
  instantOf,
  NotFoundError,
  UnauthorizedError,
  UnprocessableError,
} from '@vecgate/core';
import { ApiKeyPage, ApiKeyRecord } from '../registry/api-key-rows';
import { RevocationList } from '../registry/revocation-list';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { Principal, Tenant, TenantRole } from '../tenancy.types';
import { TenantService } from '../tenant.service';
import { CredentialGrant } from '../tokens/grant';
import { subjectProblem } from '../tokens/subject';
import { ApiKeyFormat } from './api-key.format';
import { ApiKeyUsage } from './api-key-usage';

const DAY_SECONDS = 86_400;

export interface CreateApiKeyRequest {
  readonly name: string;
  readonly roles: readonly string[];
  /** ISO 8601; when absent, the tier's longest lifetime (no expiry when that is unlimited). */
  readonly expiresAt?: string;
}

export interface CreatedApiKey {
  readonly record: ApiKeyRecord;
  /** The key itself: returned once, never stored. */
  readonly key: string;
}

/**
 * Live (neither revoked nor expired) API keys one tenant may hold. Each is listed, cached and
 * its last use written by the gateway: without a bound one tenant's tens of thousands of keys
 * made those the longest work on the event loop.
 */
export const MAX_LIVE_API_KEYS = 1000;

/**
 * Creates, lists and revokes tenant API keys, with the rights of token minting: tenant roles
 * only, a tenant_admin only roles it holds, no key created by a key. A key belongs to the
 * tenant's uid and records the lineage of the token that created it; its lifetime is bounded
 * by the tenant tier's maximum.
 */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly tenants: TenantService,
    private readonly repository: TenantRegistryRepository,
    private readonly revocations: RevocationList,
    private readonly grant: CredentialGrant,
    private readonly format: ApiKeyFormat,
    private readonly usage: ApiKeyUsage,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async create(
    creator: Principal,
    tenantId: string,
    request: CreateApiKeyRequest,
  ): Promise<CreatedApiKey> {
    const problem = subjectProblem(request.name);
    if (problem !== undefined) throw new BadRequestError(`name ${problem}`, 'name');
    const roles = this.grant.roles(creator, request.roles);
    const now = Math.floor(Date.now() / 1000);
    const requested = request.expiresAt === undefined ? null : parseExpiry(request.expiresAt, now);
    return this.tenants.exclusive(tenantId, async () => {
      const tenant = await this.tenants.getLive(tenantId);
      const live = await this.repository.apiKeys.countLive(tenant.uid, now);
      if (live >= MAX_LIVE_API_KEYS) {
        throw new ConflictError(
          `tenant ${tenant.id} already has ${live} live API keys, the most it may hold; revoke one first`,
        );
      }
      const expiresAt = this.expiryFor(tenant, requested, now);
      return this.issue(creator, tenant, roles, request.name, expiresAt, now);
    });
  }

  private async issue(
    creator: Principal,
    tenant: Tenant,
    roles: TenantRole[],
    name: string,
    expiresAt: number | null,
    now: number,
  ): Promise<CreatedApiKey> {
    const lineage = await this.grant.lineage(creator, tenant);
    const issued = this.format.issue();
    const record: ApiKeyRecord = {
      id: issued.id,
      tenantUid: tenant.uid,
      tenantId: tenant.id,
      name,
      roles,
      keyHash: issued.hash,
      createdBy: creator.subject,
      lineage,
      createdAt: now,
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.repository.apiKeys.insert(record);
    // As for minted tokens: an ancestor revoked meanwhile either caught this key in its
    // cascade or is visible now, so no key outlives the revocation of its creator.
    if (await this.repository.tokens.anyRevoked(lineage)) {
      await this.revokeKey(record, now);
      throw new UnauthorizedError('the creating token has been revoked', 'token_revoked');
    }
    return { record, key: issued.key };
  }

  /** The requested expiry, or the tier's longest; 422 past the tier's maximum. */
  private expiryFor(tenant: Tenant, requested: number | null, now: number): number | null {
    const { tiers, fallback } = this.options.apiKeyMaxDays;
    const maxDays = Object.hasOwn(tiers, tenant.tier) ? (tiers[tenant.tier] ?? null) : fallback;
    if (maxDays === null) return requested;
    const latest = now + maxDays * DAY_SECONDS;
    if (requested === null) return latest;
    if (requested > latest) {
      throw new UnprocessableError(
        `expiresAt must be within ${maxDays} days for tier ${tenant.tier} (at most ${new Date(latest * 1000).toISOString()})`,
        'expiresAt',
      );
    }
    return requested;
  }

  async list(tenantId: string, limit: number, after?: string): Promise<ApiKeyPage> {
    const tenant = await this.tenants.getLive(tenantId);
    await this.usage.flush();
    return this.repository.apiKeys.listLive(
      tenant.uid,
      Math.floor(Date.now() / 1000),
      limit,
      after,
    );
  }

  async revoke(tenantId: string, id: string): Promise<void> {
    const tenant = await this.tenants.getLive(tenantId);
    const record = await this.repository.apiKeys.find(id);
    if (!record || record.tenantUid !== tenant.uid) {
      throw new NotFoundError(`tenant ${tenantId} has no API key ${id}`);
    }
    await this.revokeKey(record, Math.floor(Date.now() / 1000));
  }

  private async revokeKey(record: ApiKeyRecord, now: number): Promise<void> {
    await this.repository.apiKeys.revoke(record, now);
    await this.revocations.add([record.id]);
  }
}

/** Seconds since the epoch of a future ISO 8601 instant; 400 for anything else. */
function parseExpiry(text: string, now: number): number {
  // Read as every date of the API is: without an offset it is UTC, not the server's zone.
  const ms = typeof text === 'string' && text.includes('T') ? instantOf(text) : undefined;
  if (ms === undefined) {
    throw new BadRequestError('expiresAt must be an ISO 8601 date-time', 'expiresAt');
  }
  const at = Math.floor(ms / 1000);
  if (at <= now) throw new BadRequestError('expiresAt must be in the future', 'expiresAt');
  return at;
}
