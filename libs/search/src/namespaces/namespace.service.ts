import { Injectable } from '@nestjs/common';
import { NotFoundError, UnavailableError } from '@vecgate/core';
import {
  CallOptions,
  DEFAULT_NAMESPACE,
  KeyedGate,
  TenantScope,
  TenantVectorStore,
} from '@vecgate/isolation';
import { NamespaceRegistry } from '@vecgate/tenancy';
import { QuotaExceededError } from '../quota/quota-exceeded.error';
import { StorageUsageTracker } from '../quota/storage-usage';
import { RequestTrace } from '../vectors/result-validator';

export interface NamespaceView {
  name: string;
  vectors: number;
  /** Epoch ms; the default namespace has no registry entry and is as old as its tenant. */
  createdAt: number | null;
}

/**
 * A tenant's namespaces: the default one, which always exists, and the named ones registered
 * in the tenancy registry (created explicitly or by a first write, up to the tier's cap).
 */
@Injectable()
export class NamespaceService {
  /**
   * Per namespace: writes into it shared; its deletion, and a delete by filter with the recount
   * after it, exclusive. A deletion that raced a write would otherwise find the write's records
   * after its delete (and answer 503), or forget the namespace while records just written sit
   * in it; a recount would miss writes that reserved room but had not landed yet.
   */
  private readonly gate = new KeyedGate();

  constructor(
    private readonly store: TenantVectorStore,
    private readonly registry: NamespaceRegistry,
    private readonly usage: StorageUsageTracker,
  ) {}

  /**
   * Makes sure the scope's namespace is registered before anything is written to it; 403
   * `quota:namespaces` when that would pass the tier's cap. True when it was created now.
   */
  async admit(scope: TenantScope, tier: string): Promise<boolean> {
    if (scope.namespace === DEFAULT_NAMESPACE) return false;
    const cap = this.usage.quota(tier).namespaces;
    const outcome = await this.registry.register(scope.tenantUid, scope.namespace, cap);
    if (outcome === 'full') {
      throw new QuotaExceededError(
        `namespace "${scope.namespace}" would pass this tenant's quota of ${cap} namespaces ` +
          'besides the default one',
        'namespaces',
      );
    }
    return outcome === 'created';
  }

  /**
   * Runs a write into the scope's namespace (registering it, then writing): side by side with
   * other writes, never during a deletion of that namespace. A write that arrives while the
   * namespace is being deleted waits for the deletion and then creates the namespace anew.
   */
  writing<T>(
    scope: TenantScope,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    return this.gate.shared(gateKey(scope), work, signal);
  }

  /**
   * Runs work on the scope's namespace with no write into it in flight (a delete by filter and
   * the recount of its usage after it); writes that arrive meanwhile wait for it.
   */
  alone<T>(
    scope: TenantScope,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    return this.gate.exclusive(gateKey(scope), work, signal);
  }

  /** Every namespace of the tenant with its vector count, read from the backend: default first. */
  async counted(scope: TenantScope, call?: CallOptions): Promise<NamespaceView[]> {
    const named = await this.registry.list(scope.tenantUid);
    const names = [DEFAULT_NAMESPACE, ...named.map((e) => e.name)];
    const counts = await this.usage.recount(scope, names, call);
    return [
      { name: DEFAULT_NAMESPACE, vectors: counts.get(DEFAULT_NAMESPACE) ?? 0, createdAt: null },
      ...named.map((e) => ({
        name: e.name,
        vectors: counts.get(e.name) ?? 0,
        createdAt: e.createdAt,
      })),
    ];
  }

  /** Creates the scope's namespace, empty, if it does not exist yet (the default always does). */
  async create(
    scope: TenantScope,
    tier: string,
  ): Promise<{ created: boolean; createdAt: number | null }> {
    const created = await this.admit(scope, tier);
    if (scope.namespace === DEFAULT_NAMESPACE) return { created, createdAt: null };
    const entry = await this.registry.lookup(scope.tenantUid, scope.namespace);
    return { created, createdAt: entry?.createdAt ?? Date.now() };
  }

  /**
   * Erases the scope's namespace: deletes every record in it, verifies that none remains, and
   * only then forgets its registry entry, so a failed or interrupted erasure is retried by
   * repeating the call. The default namespace is emptied and stays. Writes into the namespace
   * wait while it is erased (this process's writes: another replica's write may still land
   * meanwhile). 404 for a namespace the tenant does not have; 503 with Retry-After when
   * records remain after the delete.
   */
  erase(scope: TenantScope, trace: RequestTrace): Promise<{ deleted: number }> {
    return this.alone(scope, trace.signal, () => this.eraseNow(scope, trace));
  }

  private async eraseNow(scope: TenantScope, trace: RequestTrace): Promise<{ deleted: number }> {
    const named = scope.namespace !== DEFAULT_NAMESPACE;
    if (named && !(await this.registry.lookup(scope.tenantUid, scope.namespace))) {
      throw new NotFoundError(`this tenant has no namespace "${scope.namespace}"`);
    }
    const call = { signal: trace.signal };
    let result: { deleted: number };
    try {
      result = await this.store.delete(scope, { kind: 'all' }, call);
    } finally {
      this.usage.forgetCount(scope);
    }
    const remaining = await this.store.count(scope, call);
    if (remaining > 0) {
      throw new UnavailableError(
        `${remaining} records remain in the namespace after its deletion; retry the deletion`,
        1,
        'erasure_incomplete',
      );
    }
    if (named) {
      await this.registry.remove(scope.tenantUid, scope.namespace);
      this.usage.erased(scope);
    }
    return result;
  }
}

/** A namespace of a tenant: the uid is fixed-length hex, so the pair cannot be ambiguous. */
function gateKey(scope: TenantScope): string {
  return `${scope.tenantUid}:${scope.namespace}`;
}
