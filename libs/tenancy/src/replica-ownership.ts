import { MisdirectedError } from '@vecgate/core';
import type { TenantScope } from '@vecgate/isolation';
import { scopeOfTenant, Tenant } from './tenancy.types';

/**
 * Whether this replica may serve a tenant. A server backend is reached alike by every replica;
 * an embedded tenant's records are files in one replica's data directory, so any other replica
 * would answer from a different (empty or stale) table.
 */
export function isServedHere(tenant: Tenant, replicaId: string): boolean {
  switch (tenant.placement.backend) {
    case 'embedded':
      return tenant.owner === null || tenant.owner === replicaId;
    case 'milvus':
    case 'qdrant':
    case 'pinecone':
    case 'pgvector':
      return true;
  }
}

/** Refuses, with 421 naming the reason and the owning replica, a tenant another replica holds. */
export function assertServedHere(tenant: Tenant, replicaId: string): void {
  if (isServedHere(tenant, replicaId)) return;
  throw new MisdirectedError(
    `tenant ${tenant.id} is stored in the embedded data directory of gateway replica ` +
      `${tenant.owner ?? '?'}, not of this one (${replicaId}); send its requests to that replica`,
    'tenant_on_other_replica',
  );
}

/** The scope of a tenant this replica serves; 421 for an embedded tenant another one holds. */
export function scopeServedHere(tenant: Tenant, replicaId: string): TenantScope {
  assertServedHere(tenant, replicaId);
  return scopeOfTenant(tenant);
}
