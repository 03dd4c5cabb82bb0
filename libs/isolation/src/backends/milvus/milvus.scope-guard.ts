import { TemplateValue } from './milvus.filter';
import { assertNamespace, assertUid, MilvusScopeError, tenantName } from './milvus.naming';
import {
  clauseOf,
  EVERY_NAMESPACE,
  NAMESPACE_PLACEHOLDER,
  NamespaceSelector,
  TENANT_PLACEHOLDER,
} from './milvus.scope';

/** The scoping parts of a search, query or delete request, as handed to the SDK. */
export interface ScopedRequest {
  readonly filter: string;
  readonly exprValues: Readonly<Record<string, TemplateValue>>;
  readonly partition_names?: readonly string[];
  readonly partition_name?: string;
}

/** Whom a request must be scoped to: the tenant, its namespace (or every one), its partition. */
export interface ExpectedScope {
  readonly tenantUid: string;
  readonly namespace: NamespaceSelector;
  readonly partition: string | undefined;
}

/**
 * The last check before a read or delete leaves for Milvus, whatever built the request:
 * the filter starts with the scope clause (tenant and namespace; the tenant alone for an
 * erasure) and nothing can bind looser than its `&&`; the template values are the scope's
 * uid and namespace; for the partition strategy the request names exactly the tenant's own
 * partition. Anything else throws here, so an empty or missing tenant value, namespace or
 * partition list can never become an unscoped call.
 */
export function assertScoped(request: ScopedRequest, expected: ExpectedScope): void {
  const { tenantUid, namespace, partition } = expected;
  assertUid(tenantUid);
  if (request.exprValues[TENANT_PLACEHOLDER] !== tenantUid) {
    throw new MilvusScopeError('the tenant template value is missing or not the scope uid');
  }
  if (namespace === EVERY_NAMESPACE) {
    if (NAMESPACE_PLACEHOLDER in request.exprValues) {
      throw new MilvusScopeError('a tenant-wide request carries a namespace value');
    }
  } else {
    assertNamespace(namespace);
    if (request.exprValues[NAMESPACE_PLACEHOLDER] !== namespace) {
      throw new MilvusScopeError('the namespace template value is missing or not the scope one');
    }
  }
  const { filter } = request;
  const clause = clauseOf(namespace);
  if (filter !== clause) {
    const head = `${clause} && (`;
    if (!filter.startsWith(head) || !enclosed(filter.slice(head.length - 1))) {
      throw new MilvusScopeError('the filter does not start with the tenant condition');
    }
  }
  const named = request.partition_names ?? (request.partition_name ? [request.partition_name] : []);
  if (partition === undefined) {
    if (named.length > 0) throw new MilvusScopeError('unexpected partition in the request');
    return;
  }
  if (partition !== tenantName(tenantUid)) {
    throw new MilvusScopeError("the partition is not the tenant's own");
  }
  if (named.length !== 1 || named[0] !== partition) {
    throw new MilvusScopeError("the request does not name exactly the tenant's partition");
  }
}

/**
 * True when `text` is one parenthesised group: it opens at the first character and closes
 * only at the last, so `(tenant) && (text)` cannot be split by an `||` inside `text`.
 * Quoted strings (JSON keys) are skipped.
 */
function enclosed(text: string): boolean {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0 && i !== text.length - 1) return false;
      if (depth < 0) return false;
    }
  }
  return depth === 0 && quote === undefined;
}
