import { FilterNode } from '../../ports/vector.types';
import { compileFilter, MilvusFilter, TemplateValue, TemplateValues } from './milvus.filter';
import { assertNamespace, assertUid } from './milvus.naming';
import { FIELD } from './milvus.schema';

/** Whose records a statement reaches: one namespace of one tenant (a `TenantScope` is one). */
export interface RecordScope {
  readonly tenantUid: string;
  readonly namespace: string;
}

/**
 * Which namespaces a statement's scope names: one (every data-plane call), or, for erasure
 * only, every namespace of the tenant. A marker rather than a missing value, so a forgotten
 * namespace can never widen a statement to the whole tenant.
 */
export const EVERY_NAMESPACE: unique symbol = Symbol('every namespace of the tenant');
export type NamespaceSelector = string | typeof EVERY_NAMESPACE;

export const TENANT_PLACEHOLDER = 'vg_tenant';
export const NAMESPACE_PLACEHOLDER = 'vg_ns';
export const PKS_PLACEHOLDER = 'vg_pks';

/** The first clause of every data-plane filter: the tenant and its namespace, both templates. */
export const SCOPE_CLAUSE =
  `(${FIELD.tenant} == {${TENANT_PLACEHOLDER}} && ` +
  `${FIELD.namespace} == {${NAMESPACE_PLACEHOLDER}})`;

/** The first clause of an erasure's count and delete: the tenant, every namespace. */
export const TENANT_CLAUSE = `(${FIELD.tenant} == {${TENANT_PLACEHOLDER}})`;

/** The clause a selector puts first. */
export function clauseOf(namespace: NamespaceSelector): string {
  return namespace === EVERY_NAMESPACE ? TENANT_CLAUSE : SCOPE_CLAUSE;
}

/**
 * `(scope clause) && (condition)`: the uid and the namespace are template values too, and the
 * condition (user filter, id list) can only narrow them. Fails closed on a bad uid or namespace.
 */
export function scopedFilter(
  scope: RecordScope,
  condition?: (values: TemplateValues) => string,
  extra: Readonly<Record<string, TemplateValue>> = {},
): MilvusFilter {
  assertUid(scope.tenantUid);
  assertNamespace(scope.namespace);
  const values = new TemplateValues();
  const narrowed = condition ? condition(values) : undefined;
  return {
    expr: narrowed === undefined ? SCOPE_CLAUSE : `${SCOPE_CLAUSE} && (${narrowed})`,
    values: {
      ...values.all(),
      ...extra,
      [TENANT_PLACEHOLDER]: scope.tenantUid,
      [NAMESPACE_PLACEHOLDER]: scope.namespace,
    },
  };
}

/** Every record of the tenant, whatever its namespace: what an erasure deletes and counts. */
export function tenantWideFilter(tenantUid: string): MilvusFilter {
  assertUid(tenantUid);
  return { expr: TENANT_CLAUSE, values: { [TENANT_PLACEHOLDER]: tenantUid } };
}

/** The scope's records among the given primary keys. */
export function primaryKeysFilter(
  scope: RecordScope,
  primaryKeys: readonly string[],
): MilvusFilter {
  if (primaryKeys.length === 0) throw new Error('a primary key list cannot be empty');
  return scopedFilter(scope, () => `${FIELD.pk} in {${PKS_PLACEHOLDER}}`, {
    [PKS_PLACEHOLDER]: [...primaryKeys],
  });
}

/** The scope's records that satisfy a user filter. */
export function userFilter(scope: RecordScope, node: FilterNode): MilvusFilter {
  return scopedFilter(scope, (values) => compileFilter(node, values));
}

/**
 * A listing page's records: primary keys after `afterKey` and from `fromKey` (Milvus compares
 * VarChar keys as bytes; every key of the scope shares its leading uid and namespace, so key
 * order is id order), narrowed by the user filter when there is one. Keys are template values
 * like every other value.
 */
export function listFilter(
  scope: RecordScope,
  afterKey: string,
  fromKey: string,
  node: FilterNode | undefined,
): MilvusFilter {
  return scopedFilter(scope, (values) => {
    const range = `${FIELD.pk} > ${values.bind(afterKey)} && ${FIELD.pk} >= ${values.bind(fromKey)}`;
    return node ? `${range} && (${compileFilter(node, values)})` : range;
  });
}
