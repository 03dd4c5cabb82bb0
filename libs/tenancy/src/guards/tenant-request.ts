import { VgRequest } from '@vecgate/core';
import { TenantScope } from '@vecgate/isolation';
import { Principal, Tenant } from '../tenancy.types';

export interface TenantRequest extends VgRequest {
  principal?: Principal;
  tenant?: Tenant;
  scope?: TenantScope;
  /** The tenant id an admin route's path names, as written (see AuthGuard). */
  targetId?: string;
  /**
   * That tenant, read once by TenantGuard after the rights check; undefined when it does not
   * exist (see `TargetTenantRecord`).
   */
  target?: Tenant;
  /** Set once the request has cost its sender a token (see RequestBudgets). */
  budgetCharged?: boolean;
}
