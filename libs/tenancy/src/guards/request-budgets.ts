import { Inject, Injectable } from '@nestjs/common';
import { MetricsService, TooManyRequestsError } from '@vecgate/core';
import { TenantRegistry } from '../registry/tenant-registry';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { Tenant } from '../tenancy.types';
import { addressKey, RateLimiter } from './rate-limiter';
import { admitTenant } from './tenant-admission';
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

  /** Charges a refusal that no step charged on its way (called once its status is known). */
  async chargeRefusal(request: BudgetedRequest, status: number): Promise<void> {
    if (status < 400 || status >= 500 || status === 429 || request.budgetCharged) return;
    request.budgetCharged = true;
    const principal = request.principal;
    if (principal?.kind !== 'tenant') {
      this.chargeAddress(request.vg.ip);
      return;
    }
    if (!this.tenants.enabled) return;
    const uid = request.tenant?.uid ?? (await this.liveTenantUid(request));
    if (uid === undefined) {
      this.chargeAddress(request.vg.ip);
      return;
    }
    this.charged.inc({ budget: 'tenant' });
    this.tenants.charge(uid);
  }

  private chargeAddress(ip: string): void {
    if (!this.addresses.enabled) return;
    this.charged.inc({ budget: 'address' });
    this.addresses.charge(addressKey(ip));
  }

  /** The live tenant a refused principal acts for; none for a token the tenant guard refuses. */
  private async liveTenantUid(request: BudgetedRequest): Promise<string | undefined> {
    const principal = request.principal;
    if (principal?.tenantId === undefined) return undefined;
    try {
      return admitTenant(principal, await this.registry.get(principal.tenantId)).uid;
    } catch {
      return undefined;
    }
  }
}
