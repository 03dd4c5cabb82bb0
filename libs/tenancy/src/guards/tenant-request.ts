import { VgRequest } from '@vecgate/core';
import { TenantScope } from '@vecgate/isolation';
import { Principal, Tenant } from '../tenancy.types';

export interface TenantRequest extends VgRequest {
  principal?: Principal;
  tenant?: Tenant;
  scope?: TenantScope;
  /** Set once the request has cost its sender a token (see RequestBudgets). */
  budgetCharged?: boolean;
}
