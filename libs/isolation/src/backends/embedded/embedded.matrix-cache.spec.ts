import { MatrixCache } from './embedded.matrix-cache';
import { TenantMatrix } from './embedded.tenant-matrix';

describe('MatrixCache', () => {
  const uid = '0123456789abcdef0123456789abcdef';
  const shared = {
    tenantUid: uid,
    namespace: '',
    file: 'embedded.db',
    table: 'vg_shared_3_cosine',
  };
  const own = { tenantUid: uid, namespace: '', file: `tenants/${uid}.db`, table: 'vg_records' };

  it('keeps one matrix per place: a moving tenant’s two places never share one', () => {
    const cache = new MatrixCache(1 << 30);
    const before = new TenantMatrix(3);
    const after = new TenantMatrix(3);
    cache.set(shared, before);
    expect(cache.get(own)).toBeUndefined();
    cache.set(own, after);
    expect(cache.get(shared)).toBe(before);
    expect(cache.get(own)).toBe(after);
    cache.delete(shared);
    expect(cache.get(own)).toBe(after);
  });

  it('forgets every namespace of a tenant in the erased place, and only there', () => {
    const cache = new MatrixCache(1 << 30);
    const kept = new TenantMatrix(3);
    cache.set(shared, new TenantMatrix(3));
    cache.set({ ...shared, namespace: 'docs' }, new TenantMatrix(3));
    cache.set({ ...own, namespace: 'docs' }, kept);
    cache.deletePlace(shared);
    expect(cache.get(shared)).toBeUndefined();
    expect(cache.get({ ...shared, namespace: 'docs' })).toBeUndefined();
    expect(cache.get({ ...own, namespace: 'docs' })).toBe(kept);
    cache.deletePlace(own);
    expect(cache.hasTenant(uid)).toBe(false);
  });
});
