import { ExpiryQueue } from './expiry-queue';

describe('ExpiryQueue', () => {
  let now = 0;
  let queue: ExpiryQueue;
  beforeEach(() => {
    now = 0;
    queue = new ExpiryQueue(100, 1_000_000, () => now);
  });
  afterEach(() => queue.stop());

  it('fires each entry once its duration has passed, in the order they were added', () => {
    const fired: string[] = [];
    queue.add(() => fired.push('a'));
    now = 40;
    queue.add(() => fired.push('b'));
    now = 99;
    queue.expire();
    expect(fired).toEqual([]);
    now = 100;
    queue.expire();
    expect(fired).toEqual(['a']);
    now = 140;
    queue.expire();
    expect(fired).toEqual(['a', 'b']);
    expect(queue.pending).toBe(0);
  });

  it('never fires a cancelled entry, wherever it sits in the list', () => {
    const fired: number[] = [];
    const entries = [0, 1, 2, 3].map((i) => queue.add(() => fired.push(i)));
    entries[0]?.cancel();
    entries[2]?.cancel();
    entries[3]?.cancel();
    entries[3]?.cancel();
    expect(queue.pending).toBe(1);
    now = 500;
    queue.expire();
    expect(fired).toEqual([1]);
  });

  it('keeps firing the others when one callback throws', () => {
    const fired: number[] = [];
    queue.add(() => {
      throw new Error('boom');
    });
    queue.add(() => fired.push(2));
    now = 100;
    queue.expire();
    expect(fired).toEqual([2]);
  });
});
