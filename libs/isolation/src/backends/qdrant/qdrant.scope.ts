import { DEFAULT_NAMESPACE, FilterNode, TenantScope } from '../../ports/vector.types';
import { QdrantCondition, QdrantFilter, translateFilter } from './qdrant.filter';
import { NAMESPACE_FIELD, TENANT_FIELD } from './qdrant.payload';

/** The condition every read, count and delete carries: the point's stored tenant uid. */
export function tenantCondition(tenantUid: string): QdrantCondition {
  if (!tenantUid) throw new Error('a Qdrant tenant condition needs a tenant uid');
  return { key: TENANT_FIELD, match: { value: tenantUid } };
}

/**
 * The point's stored namespace. Points written before namespaces existed have no `_vg_ns`;
 * they belong to the default namespace, whose condition therefore also holds where the field
 * is empty (`is_empty`: missing, null or `[]`; an empty string is a value, matched by `match`).
 */
export function namespaceCondition(namespace: string): QdrantCondition {
  const match: QdrantCondition = { key: NAMESPACE_FIELD, match: { value: namespace } };
  if (namespace !== DEFAULT_NAMESPACE) return match;
  return { should: [match, { is_empty: { key: NAMESPACE_FIELD } }] };
}

/**
 * `{must: [tenant condition, namespace condition, ...more]}`: the scope's conditions are always
 * elements of their own, never merged with (or replaceable by) the caller's filter.
 */
export function scopedFilter(
  scope: Pick<TenantScope, 'tenantUid' | 'namespace'>,
  ...more: QdrantCondition[]
): QdrantFilter {
  return {
    must: [tenantCondition(scope.tenantUid), namespaceCondition(scope.namespace), ...more],
  };
}

/** Every point of the tenant, whatever its namespace: what erasure removes and verifies. */
export function tenantFilter(tenantUid: string): QdrantFilter {
  return { must: [tenantCondition(tenantUid)] };
}

/** The scope's conditions, with the caller's filter when there is one (null: matches nothing). */
export function withUserFilter(
  scope: Pick<TenantScope, 'tenantUid' | 'namespace'>,
  filter: FilterNode | undefined,
): QdrantFilter | null {
  if (!filter) return scopedFilter(scope);
  const user: QdrantCondition | null = translateFilter(filter);
  return user === null ? null : scopedFilter(scope, user);
}
