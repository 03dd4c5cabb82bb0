import { UnavailableError } from '@vecgate/core';
import {
  DeleteSelector,
  makeTenantScope,
  StoredRecord,
  TenantScope,
  TenantVectorStore,
  VectorWrite,
} from '@vecgate/isolation';
import {
  NamespaceEntry,
  NamespaceRegistry,
  Registration,
  scopeInNamespace,
} from '@vecgate/tenancy';
import { QuotaExceededError } from '../quota/quota-exceeded.error';
import { StorageUsageTracker } from '../quota/storage-usage';
import { NamespaceService } from './namespace.service';

/** Records per (uid, namespace), as a backend that stores namespaces keeps them. */
class MemoryStore extends TenantVectorStore {
  readonly places = new Map<string, Map<string, VectorWrite>>();
  /** Records a delete of everything leaves behind (a backend that lost part of a batch). */
  leaveBehind = 0;
  counts = 0;

  private place(scope: TenantScope): Map<string, VectorWrite> {
    const key = `${scope.tenantUid}/${scope.namespace}`;
    let place = this.places.get(key);
    if (!place) this.places.set(key, (place = new Map()));
    return place;
  }

  upsert(scope: TenantScope, records: readonly VectorWrite[]): Promise<{ upserted: number }> {
    for (const r of records) this.place(scope).set(r.id, r);
    return Promise.resolve({ upserted: records.length });
  }

  fetch(scope: TenantScope, ids: readonly string[]): Promise<StoredRecord[]> {
    const place = this.place(scope);
    const found = ids.flatMap((id) => (place.has(id) ? [id] : []));
    return Promise.resolve(
      found.map((id) => ({ id, tenantUid: scope.tenantUid, namespace: scope.namespace })),
    );
  }

  delete(scope: TenantScope, selector: DeleteSelector): Promise<{ deleted: number }> {
    const place = this.place(scope);
    if (selector.kind !== 'all') throw new Error('only delete-all is used here');
    const ids = [...place.keys()].slice(this.leaveBehind);
    for (const id of ids) place.delete(id);
    return Promise.resolve({ deleted: ids.length });
  }

  search(): Promise<never[]> {
    return Promise.resolve([]);
  }

  list(): Promise<never> {
    return Promise.reject(new Error('listing is not used here'));
  }

  count(scope: TenantScope): Promise<number> {
    this.counts++;
    return Promise.resolve(this.place(scope).size);
  }
}

/** The registry's contract in memory (the SQL one is covered by the store tests). */
class MemoryRegistry {
  readonly rows = new Map<string, Map<string, number>>();

  private of(uid: string): Map<string, number> {
    let rows = this.rows.get(uid);
    if (!rows) this.rows.set(uid, (rows = new Map()));
    return rows;
  }

  list(uid: string): Promise<NamespaceEntry[]> {
    const entries = [...this.of(uid)].map(([name, createdAt]) => ({ name, createdAt }));
    return Promise.resolve(entries.sort((a, b) => (a.name < b.name ? -1 : 1)));
  }

  lookup(uid: string, name: string): Promise<NamespaceEntry | undefined> {
    const at = this.of(uid).get(name);
    return Promise.resolve(at === undefined ? undefined : { name, createdAt: at });
  }

  register(uid: string, name: string, cap: number): Promise<Registration> {
    const rows = this.of(uid);
    if (rows.has(name)) return Promise.resolve('exists');
    if (rows.size >= cap) return Promise.resolve('full');
    rows.set(name, 1000 + rows.size);
    return Promise.resolve('created');
  }

  remove(uid: string, name: string): Promise<boolean> {
    return Promise.resolve(this.of(uid).delete(name));
  }
}

const record = (id: string): VectorWrite => ({ id, values: new Float32Array([1, 0, 0]) });
const trace = { requestId: 'r1', ip: '127.0.0.1' };

describe('NamespaceService', () => {
  let store: MemoryStore;
  let registry: MemoryRegistry;
  let usage: StorageUsageTracker;
  let service: NamespaceService;
  const base = makeTenantScope({
    tenantId: 'acme',
    tenantUid: 'uid-acme',
    placement: { backend: 'embedded', strategy: 'partition_key', location: {} },
    space: { dimension: 3, metric: 'cosine' },
  });
  const other = makeTenantScope({ ...base, tenantId: 'globex', tenantUid: 'uid-globex' });
  const ns = (name: string, scope = base): TenantScope => scopeInNamespace(scope, name);

  beforeEach(() => {
    store = new MemoryStore();
    registry = new MemoryRegistry();
    const quotas = {
      tiers: { small: { vectors: 5, bytes: null, namespaces: 2, metadataBytes: null } },
      fallback: { vectors: null, bytes: null, namespaces: 1000, metadataBytes: null },
    };
    const names = registry as unknown as NamespaceRegistry;
    usage = new StorageUsageTracker(store, names, { quotas });
    service = new NamespaceService(store, names, usage);
  });

  it('registers a named namespace on its first write, and never the default one', async () => {
    expect(await service.admit(base, 'small')).toBe(false);
    expect(await service.admit(ns('docs'), 'small')).toBe(true);
    expect(await service.admit(ns('docs'), 'small')).toBe(false);
    expect([...(registry.rows.get('uid-acme')?.keys() ?? [])]).toEqual(['docs']);
  });

  it('refuses a namespace past the tier’s cap with quota:namespaces', async () => {
    await service.admit(ns('a'), 'small');
    await service.admit(ns('b'), 'small');
    const refused = service.admit(ns('c'), 'small');
    await expect(refused).rejects.toBeInstanceOf(QuotaExceededError);
    await expect(refused).rejects.toMatchObject({ extras: { reason: 'quota:namespaces' } });
    // Another tenant has its own cap.
    expect(await service.admit(ns('c', other), 'small')).toBe(true);
  });

  it('counts every namespace, default first, and sums them for the storage quota', async () => {
    await store.upsert(base, [record('x')]);
    for (const name of ['b', 'a']) {
      await service.admit(ns(name), 'small');
      await store.upsert(ns(name), [record('x'), record('y')]);
    }
    const counted = await service.counted(base);
    expect(counted).toEqual([
      { name: '', vectors: 1, createdAt: null },
      { name: 'a', vectors: 2, createdAt: 1001 },
      { name: 'b', vectors: 2, createdAt: 1000 },
    ]);
    expect(usage.view(base, 'small').vectors).toEqual({ used: 5, limit: 5 });
    // The quota is the tenant's: a new id in any namespace is past it.
    const over = usage.reserveUpsert(ns('a'), 'small', [record('z')], [12]);
    await expect(over).rejects.toMatchObject({ extras: { reason: 'quota:vectors' } });
    // An overwrite in a namespace that has the id is not.
    await expect(usage.reserveUpsert(ns('a'), 'small', [record('y')], [12])).resolves.toEqual(
      expect.any(Function),
    );
  });

  it('erases a namespace, verifies it is empty, then forgets it and frees its room', async () => {
    await service.admit(ns('docs'), 'small');
    await store.upsert(ns('docs'), [record('x'), record('y')]);
    await store.upsert(base, [record('x')]);
    await service.counted(base);
    expect(await service.erase(ns('docs'), trace)).toEqual({ deleted: 2 });
    expect(registry.rows.get('uid-acme')?.has('docs')).toBe(false);
    expect(store.places.get('uid-acme/')?.size).toBe(1);
    expect(usage.view(base, 'small').vectors.used).toBe(1);
  });

  it('keeps the namespace and answers 503 when records remain after the delete', async () => {
    await service.admit(ns('docs'), 'small');
    await store.upsert(ns('docs'), [record('x'), record('y'), record('z')]);
    store.leaveBehind = 1;
    const failed = service.erase(ns('docs'), trace);
    await expect(failed).rejects.toBeInstanceOf(UnavailableError);
    await expect(failed).rejects.toMatchObject({
      status: 503,
      extras: { reason: 'erasure_incomplete', retryAfterSeconds: 1 },
    });
    expect(registry.rows.get('uid-acme')?.has('docs')).toBe(true);
    // Repeating the call finishes it.
    store.leaveBehind = 0;
    expect(await service.erase(ns('docs'), trace)).toEqual({ deleted: 1 });
    expect(registry.rows.get('uid-acme')?.has('docs')).toBe(false);
  });

  it('answers 404 for a namespace the tenant does not have, deleting nothing', async () => {
    await service.admit(ns('docs', other), 'small');
    await store.upsert(ns('docs', other), [record('x')]);
    await expect(service.erase(ns('docs'), trace)).rejects.toMatchObject({ status: 404 });
    expect(store.places.get('uid-globex/docs')?.size).toBe(1);
  });

  it('empties the default namespace, which stays', async () => {
    await store.upsert(base, [record('x')]);
    expect(await service.erase(base, trace)).toEqual({ deleted: 1 });
    expect((await service.counted(base)).map((n) => [n.name, n.vectors])).toEqual([['', 0]]);
  });

  it('recounts only the namespace a delete made unknown', async () => {
    await service.admit(ns('a'), 'standard');
    await service.admit(ns('b'), 'standard');
    await usage.reserveUpsert(ns('a'), 'standard', [record('x')], [12]);
    const before = store.counts;
    usage.forgetCount(ns('b'));
    await usage.reserveUpsert(ns('a'), 'standard', [record('y')], [12]);
    expect(store.counts - before).toBe(1);
  });
});
