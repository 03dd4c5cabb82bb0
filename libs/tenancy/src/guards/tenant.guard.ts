import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { heavyTurn, UnauthorizedError } from '@vecgate/core';
import { TenantRegistry } from '../registry/tenant-registry';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';
import { assertServedHere } from '../replica-ownership';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { Principal, scopeOfTenant, Tenant, TENANT_ID_PATTERN } from '../tenancy.types';
import { RequestBudgets } from './request-budgets';
import { routeAccess } from './route-access';
import { ReservedKeys } from './reserved-keys';
import { admitTenant } from './tenant-admission';
import { TenantRequest } from './tenant-request';

/** Bodies above this size are walked in a turn of the event loop of their own. */
const YIELD_BEFORE_WALK_BYTES = 1 << 20;

/**
 * Global, after AuthGuard: resolves the token's tenant (unknown or deleted: 401, token older
 * than the id's last deletion: 401, suspended: 403) into the request's tenant scope, spends
 * its rate-limit token, then refuses tenant names in headers, query and body. The limit comes
 * before the bypass check so that a flood of bypass attempts turns into 429s.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  private readonly replicaId: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly registry: TenantRegistry,
    private readonly repository: TenantRegistryRepository,
    private readonly reserved: ReservedKeys,
    private readonly budgets: RequestBudgets,
    @Inject(TENANCY_OPTIONS) options: TenancyOptions,
  ) {
    this.replicaId = options.replicaId;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = routeAccess(this.reflector, context);
    if (access.isPublic) return true;
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const principal = request.principal as Principal;
    if (principal.kind === 'tenant') {
      const tenant = await this.resolve(request, principal);
      request.tenant = tenant;
      request.vg.tenantUid = tenant.uid;
      request.scope = scopeOfTenant(tenant);
      this.budgets.admitTenant(request, tenant);
      // An embedded tenant of another replica: 421 naming its replica, never another table.
      // Admin routes about the tenant (its tokens and API keys) touch only the registry that
      // every replica shares: a leaked credential is revoked from whichever replica answers.
      if (access.adminOfParam === undefined) assertServedHere(tenant, this.replicaId);
    }
    await this.resolveTarget(request);
    // After resolution, so the refusal lands in the caller's own tenant audit view.
    this.reserved.assertNoTenantHeaders(request.headers);
    this.reserved.assertNone(request.query, 'query');
    // A large body was just parsed in this same turn of the event loop: let other requests run
    // before walking it, so parse and walk are two slices rather than one (heavyTurn).
    if (Number(request.headers['content-length']) > YIELD_BEFORE_WALK_BYTES) await heavyTurn();
    this.reserved.assertNone(request.body, 'body');
    return true;
  }

  /**
   * An admin route about a tenant (`{id}` in its path) reads that tenant here, once, for the
   * handler (`TargetTenantRecord`) and its audit event, which records the tenant's uid, so the
   * tenant's own trail shows everything done to it (tokens minted for it by a platform admin
   * included). Only once the rights check passed: a refused attempt against a tenant names it
   * in the path, which anyone can write, and stays out of that tenant's trail. Read from the
   * registry's table, not its cache: the admin plane answers with the tenant's current state.
   */
  private async resolveTarget(request: TenantRequest): Promise<void> {
    const target = request.targetId;
    if (target === undefined || !TENANT_ID_PATTERN.test(target)) return;
    const tenant = await this.repository.findById(target);
    if (!tenant || tenant.status === 'provisioning') return;
    request.target = tenant;
    request.vg.targetTenantUid = tenant.uid;
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
