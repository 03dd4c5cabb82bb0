import { Inject, Injectable } from '@nestjs/common';
import { MetricsService, TooManyRequestsError } from '@vecgate/core';
import { TenantRegistry } from '../registry/tenant-registry';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { Principal, Tenant } from '../tenancy.types';
import { addressKey, RateLimiter } from './rate-limiter';
import { tenantOfToken } from './tenant-admission';
import { TenantRequest } from './tenant-request';

/** What the budgets need of a request: who sent it, and whether it was charged already. */
export type BudgetedRequest = Pick<TenantRequest, 'vg' | 'principal' | 'tenant' | 'budgetCharged'>;

/**
 * Who pays for a request. Every request of a live tenant costs one token of that tenant's
 * rate limit (when configured), refusals included: a refusal before the limiter (a bypass
 * attempt, a missing role, a route that does not exist) is charged once its answer is known.
 * A request that no live tenant can be charged for (no valid token, a token of a deleted
 * tenant, a request Fastify could not route) costs its client address a token of the
 * unauthenticated budget; past that budget the address gets 429 with Retry-After instead of
 * the refusal. A valid token is never refused for its address's budget, so clients behind
 * one address (a NAT, a proxy) are not locked out by a neighbour's bad tokens.
 */
@Injectable()
export class RequestBudgets {
  private readonly tenants: RateLimiter;
  private readonly addresses: RateLimiter;
  private readonly charged;

  constructor(
    private readonly registry: TenantRegistry,
    @Inject(TENANCY_OPTIONS) options: TenancyOptions,
    metrics: MetricsService,
  ) {
    this.tenants = new RateLimiter(options.rateLimitPerSecond, options.rateLimitBurst);
    this.addresses = new RateLimiter(
      options.unauthenticatedPerSecond,
      options.unauthenticatedBurst,
    );
    this.charged = metrics.counter(
      'vecgate_refusals_charged_total',
      'Refused requests charged to a rate budget, by whose budget',
      ['budget'],
    );
  }

  /** Spends the tenant's token for an admitted request; 429 when its bucket is empty. */
  admitTenant(request: BudgetedRequest, tenant: Tenant): void {
    if (!this.tenants.enabled) return;
    request.budgetCharged = true;
    const wait = this.tenants.take(tenant.uid);
    if (wait > 0) throw new TooManyRequestsError('tenant rate limit exceeded', wait);
  }

  /**
   * A refusal no live tenant pays for, charged to the client address now: the refusal itself
   * while the address is within its budget, a 429 once it is not.
   */
  refuseUnattributed(request: BudgetedRequest, refusal: Error): Error {
    if (!this.addresses.enabled || request.budgetCharged) return refusal;
    request.budgetCharged = true;
    this.charged.inc({ budget: 'address' });
    const wait = this.addresses.take(addressKey(request.vg.ip));
    if (wait === 0) return refusal;
    return new TooManyRequestsError('too many refused requests from this client address', wait);
  }

  /** An unroutable request (no hook ran for it): charged to its address; seconds to wait. */
  chargeUnroutable(ip: string): number {
    if (!this.addresses.enabled) return 0;
    this.charged.inc({ budget: 'address' });
    return this.addresses.take(addressKey(ip));
  }

  /**
   * Once a refusal's status is known, before its audit event is built: files it under the
   * tenant its credential belongs to when no step did (a role the credential lacks, another
   * tenant's admin route, a suspended tenant, a route that does not exist), so the tenant's
   * own trail shows it; a credential that names no live tenant files it under none. Then
   * charges it, unless a step charged it on its way: to that tenant when it is admitted, else
   * to the client address.
   */
  async settleRefusal(request: BudgetedRequest, status: number): Promise<void> {
    const principal = request.principal;
    const owner =
      principal?.kind === 'tenant' && request.vg.tenantUid === undefined
        ? await this.ownerOf(principal)
        : undefined;
    if (owner) request.vg.tenantUid = owner.uid;
    if (status < 400 || status >= 500 || status === 429 || request.budgetCharged) return;
    request.budgetCharged = true;
    if (principal?.kind !== 'tenant') {
      this.chargeAddress(request.vg.ip);
      return;
    }
    if (!this.tenants.enabled) return;
    const tenant = request.tenant ?? owner;
    if (tenant === undefined || tenant.status === 'suspended') {
      this.chargeAddress(request.vg.ip);
      return;
    }
    this.charged.inc({ budget: 'tenant' });
    this.tenants.charge(tenant.uid);
  }

  private chargeAddress(ip: string): void {
    if (!this.addresses.enabled) return;
    this.charged.inc({ budget: 'address' });
    this.addresses.charge(addressKey(ip));
  }

  /** The live tenant a principal's credential belongs to; none when the tenant guard refuses it. */
  private async ownerOf(principal: Principal): Promise<Tenant | undefined> {
    if (principal.tenantId === undefined) return undefined;
    try {
      return tenantOfToken(principal, await this.registry.get(principal.tenantId));
    } catch {
      return undefined;
    }
  }
}
