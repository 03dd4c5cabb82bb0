import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UnauthorizedError } from '@vecgate/core';
import { TenantRegistry } from '../registry/tenant-registry';
import { Principal, scopeOfTenant, Tenant } from '../tenancy.types';
import { IS_PUBLIC_KEY } from './access.decorators';
import { RequestBudgets } from './request-budgets';
import { ReservedKeys } from './reserved-keys';
import { admitTenant } from './tenant-admission';
import { TenantRequest } from './tenant-request';

/**
 * Global, after AuthGuard: resolves the token's tenant (unknown or deleted: 401, token older
 * than the id's last deletion: 401, suspended: 403) into the request's tenant scope, spends
 * its rate-limit token, then refuses tenant names in headers, query and body. The limit comes
 * before the bypass check so that a flood of bypass attempts turns into 429s.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: TenantRegistry,
    private readonly reserved: ReservedKeys,
    private readonly budgets: RequestBudgets,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const principal = request.principal as Principal;
    if (principal.kind === 'tenant') {
      const tenant = await this.resolve(request, principal);
      request.tenant = tenant;
      request.vg.tenantUid = tenant.uid;
      request.scope = scopeOfTenant(tenant);
      this.budgets.admitTenant(request, tenant);
    }
    // After resolution, so the refusal lands in the caller's own tenant audit view.
    this.reserved.assertNoTenantHeaders(request.headers);
    this.reserved.assertNone(request.query, 'query');
    this.reserved.assertNone(request.body, 'body');
    return true;
  }

  /** A token naming no live tenant is refused like a bad token: charged to its address. */
  private async resolve(request: TenantRequest, principal: Principal): Promise<Tenant> {
    const tenant = await this.registry.get(principal.tenantId as string);
    try {
      return admitTenant(principal, tenant);
    } catch (err) {
      if (err instanceof UnauthorizedError) throw this.budgets.refuseUnattributed(request, err);
      throw err;
    }
  }
}
