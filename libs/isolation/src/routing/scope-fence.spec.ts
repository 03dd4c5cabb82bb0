import { setTimeout as sleep } from 'node:timers/promises';
import { ScopeFence } from './scope-fence';

const UID = 'a'.repeat(32);

describe('ScopeFence', () => {
  it('refuses calls for a tenant once its erasure has begun', async () => {
    const fence = new ScopeFence();
    await fence.close(UID, 100);
    await expect(fence.admit(UID, () => Promise.resolve(1))).rejects.toMatchObject({ status: 409 });
    await expect(fence.admit('b'.repeat(32), () => Promise.resolve(2))).resolves.toBe(2);
  });

  it('lets the erasure start only after every call admitted before it has finished', async () => {
    const fence = new ScopeFence();
    const order: string[] = [];
    let release!: () => void;
    const running = fence.admit(UID, async () => {
      await new Promise<void>((r) => (release = r));
      order.push('write landed');
    });
    const drained = fence.close(UID, 5000).then((ok) => order.push(`drained ${ok}`));
    await sleep(20);
    expect(order).toEqual([]);
    release();
    await Promise.all([running, drained]);
    expect(order).toEqual(['write landed', 'drained true']);
  });

  it('reports a call still running after the timeout instead of erasing under it', async () => {
    const fence = new ScopeFence();
    void fence.admit(UID, () => sleep(500));
    await expect(fence.close(UID, 30)).resolves.toBe(false);
  });

  it('counts a call that failed as finished', async () => {
    const fence = new ScopeFence();
    await expect(fence.admit(UID, () => Promise.reject(new Error('backend down')))).rejects.toThrow(
      'backend down',
    );
    await expect(fence.close(UID, 30)).resolves.toBe(true);
  });
});
