import { DeadlineExceededError } from '@vecgate/core';
import { KeyedGate } from './keyed-gate';
import { deferred } from '../../../../test/support/deferred';

describe('KeyedGate', () => {
  it('lets the shared work queued behind an abandoned exclusive one run at once', async () => {
    const gate = new KeyedGate();
    const first = deferred();
    const order: string[] = [];
    const running = gate.shared('k', async () => {
      await first.promise;
      order.push('first shared');
    });
    const abandoned = new AbortController();
    const erase = gate.exclusive(
      'k',
      () => Promise.resolve(order.push('exclusive')),
      abandoned.signal,
    );
    const behind = gate.shared('k', () => Promise.resolve(order.push('shared behind')));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    abandoned.abort(new DeadlineExceededError());
    await expect(erase).rejects.toBeInstanceOf(DeadlineExceededError);
    await behind;
    expect(order).toEqual(['shared behind']);
    first.release();
    await running;
    expect(order).toEqual(['shared behind', 'first shared']);
  });

  it('keeps keys apart', async () => {
    const gate = new KeyedGate();
    const held = deferred();
    const other = gate.exclusive('a', () => held.promise);
    await expect(gate.exclusive('b', () => Promise.resolve('b ran'))).resolves.toBe('b ran');
    held.release();
    await other;
  });
});
