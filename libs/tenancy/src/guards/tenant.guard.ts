import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from '@vecgate/core';
import { TenantRegistry } from '../registry/tenant-registry';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { assertServedHere } from '../replica-ownership';
import { Principal, scopeOfTenant, Tenant, TENANT_ID_PATTERN } from '../tenancy.types';
import { IS_PUBLIC_KEY } from './access.decorators';
import { RateLimiter } from './rate-limiter';
import { ReservedKeys } from './reserved-keys';
import { TenantRequest } from './tenant-request';

/**
 * Global, after AuthGuard: refuses tenant names in headers, query and body; resolves the
 * token's tenant (unknown or deleted: 401, token older than the id's last deletion: 401,
 * suspended: 403) into the request's tenant scope; applies the per-tenant rate limit.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  private readonly limiter: RateLimiter;
  private readonly replicaId: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly registry: TenantRegistry,
    private readonly reserved: ReservedKeys,
    @Inject(TENANCY_OPTIONS) options: TenancyOptions,
  ) {
    this.replicaId = options.replicaId;
    this.limiter = new RateLimiter(options.rateLimitPerSecond, options.rateLimitBurst);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const principal = request.principal as Principal;
    if (principal.kind === 'tenant') {
      const tenant = this.admissible(
        principal,
        await this.registry.get(principal.tenantId as string),
      );
      request.tenant = tenant;
      request.vg.tenantUid = tenant.uid;
      request.scope = scopeOfTenant(tenant);
    }
    await this.recordTargetUid(request);
    // After resolution, so the refusal lands in the caller's own tenant audit view.
    this.reserved.assertNoTenantHeaders(request.headers);
    this.reserved.assertNone(request.query, 'query');
    this.reserved.assertNone(request.body, 'body');
    if (request.tenant && this.limiter.enabled) {
      const wait = this.limiter.take(request.tenant.uid);
      if (wait > 0) throw new TooManyRequestsError('tenant rate limit exceeded', wait);
    }
    return true;
  }

  /**
   * An admin route about a tenant (`{id}` in its path) records that tenant's uid on its audit
   * event, so the tenant's own trail shows everything done to it (tokens minted for it by a
   * platform admin included). Only once the rights check passed: a refused attempt against a
   * tenant names it in the path, which anyone can write, and stays out of that tenant's trail.
   */
  private async recordTargetUid(request: TenantRequest): Promise<void> {
    const target = request.vg.targetTenant;
    if (target === undefined || request.vg.targetTenantUid !== undefined) return;
    if (!TENANT_ID_PATTERN.test(target)) return;
    const tenant = await this.registry.get(target);
    if (tenant && tenant.status !== 'provisioning') request.vg.targetTenantUid = tenant.uid;
  }

  private admissible(principal: Principal, tenant: Tenant | undefined): Tenant {
    if (!tenant || tenant.status === 'provisioning' || tenant.status === 'deleting') {
      throw new UnauthorizedError('the token names a tenant that does not exist', 'tenant_unknown');
    }
    if (principal.tenantUid !== undefined && principal.tenantUid !== tenant.uid) {
      throw new UnauthorizedError('the token belongs to a deleted tenant', 'token_superseded');
    }
    if (
      principal.tenantUid === undefined &&
      tenant.supersedesDeletedAt !== null &&
      principal.issuedAt * 1000 <= tenant.supersedesDeletedAt
    ) {
      throw new UnauthorizedError(
        'the token was issued before its tenant id was deleted',
        'token_superseded',
      );
    }
    if (tenant.status === 'suspended')
      throw new ForbiddenError('the tenant is suspended', 'tenant_suspended');
    assertServedHere(tenant, this.replicaId);
    return tenant;
  }
}
