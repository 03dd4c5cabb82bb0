import { setTimeout as sleep } from 'node:timers/promises';
import { makeTenantScope, Placement } from '../ports/vector.types';
import { ScopeFence } from './scope-fence';

const UID = 'a'.repeat(32);
const OLD: Placement = { backend: 'embedded', strategy: 'collection', location: { table: 't_a' } };
const NEW: Placement = { backend: 'embedded', strategy: 'database', location: { file: 'a.db' } };

function scopeOf(tenantUid: string, placement: Placement = OLD) {
  return makeTenantScope({
    tenantId: 'acme',
    tenantUid,
    placement,
    space: { dimension: 3, metric: 'cosine' },
  });
}
const SCOPE = scopeOf(UID);

describe('ScopeFence', () => {
  it('refuses calls for a tenant once its erasure has begun', async () => {
    const fence = new ScopeFence();
    await fence.close(SCOPE, 100);
    await expect(fence.admit(SCOPE, () => Promise.resolve(1))).rejects.toMatchObject({
      status: 409,
    });
    await expect(fence.admit(scopeOf('b'.repeat(32)), () => Promise.resolve(2))).resolves.toBe(2);
  });

  it('lets the erasure start only after every call admitted before it has finished', async () => {
    const fence = new ScopeFence();
    const order: string[] = [];
    let release!: () => void;
    const running = fence.admit(SCOPE, async () => {
      await new Promise<void>((r) => (release = r));
      order.push('write landed');
    });
    const drained = fence.close(SCOPE, 5000).then((ok) => order.push(`drained ${ok}`));
    await sleep(20);
    expect(order).toEqual([]);
    release();
    await Promise.all([running, drained]);
    expect(order).toEqual(['write landed', 'drained true']);
  });

  it('reports a call still running after the timeout instead of erasing under it', async () => {
    const fence = new ScopeFence();
    void fence.admit(SCOPE, () => sleep(500));
    await expect(fence.close(SCOPE, 30)).resolves.toBe(false);
  });

  it('counts a call that failed as finished', async () => {
    const fence = new ScopeFence();
    await expect(
      fence.admit(SCOPE, () => Promise.reject(new Error('backend down'))),
    ).rejects.toThrow('backend down');
    await expect(fence.close(SCOPE, 30)).resolves.toBe(true);
  });

  it('retires one place of a tenant a migration left, drains it, and reopens it once erased', async () => {
    const fence = new ScopeFence();
    let release!: () => void;
    const late = fence.admit(SCOPE, () => new Promise<void>((r) => (release = r)));
    let drained = false;
    const retiring = fence.retire(SCOPE, 5000).then((ok) => (drained = ok));
    await sleep(20);
    expect(drained).toBe(false);
    await expect(fence.admit(SCOPE, () => Promise.resolve(1))).rejects.toMatchObject({
      status: 409,
    });
    await expect(fence.admit(scopeOf(UID, NEW), () => Promise.resolve(2))).resolves.toBe(2);
    expect(fence.isRetired(SCOPE)).toBe(true);
    expect(fence.isRetired(scopeOf(UID, NEW))).toBe(false);
    release();
    await Promise.all([late, retiring]);
    expect(drained).toBe(true);
    fence.reopen(SCOPE);
    await expect(fence.admit(SCOPE, () => Promise.resolve(3))).resolves.toBe(3);
  });
});
