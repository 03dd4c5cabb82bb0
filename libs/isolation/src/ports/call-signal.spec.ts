import { DeadlineExceededError } from '@vecgate/core';
import { abandonOnAbort, assertNotAborted, whenAborted } from './call-signal';

describe('call signals', () => {
  it('abandons a read that outlives its signal, with the signal’s reason', async () => {
    const controller = new AbortController();
    let finished = false;
    const slow = abandonOnAbort({ signal: controller.signal }, async () => {
      await new Promise((r) => setTimeout(r, 200));
      finished = true;
      return 1;
    });
    setTimeout(() => controller.abort(new DeadlineExceededError()), 10);
    await expect(slow).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(finished).toBe(false);
  });

  it('does not start a read whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new DeadlineExceededError());
    let started = false;
    await expect(
      abandonOnAbort({ signal: controller.signal }, () => {
        started = true;
        return Promise.resolve(1);
      }),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(started).toBe(false);
  });

  it('passes a result and an error through while the signal is live', async () => {
    const signal = new AbortController().signal;
    await expect(abandonOnAbort({ signal }, () => Promise.resolve(7))).resolves.toBe(7);
    await expect(
      abandonOnAbort({ signal }, () => Promise.reject(new Error('backend said no'))),
    ).rejects.toThrow('backend said no');
    await expect(abandonOnAbort(undefined, () => Promise.resolve(8))).resolves.toBe(8);
  });

  it('refuses to start a write after the signal aborted, and reports a plain abort as the deadline', () => {
    const controller = new AbortController();
    expect(() => assertNotAborted({ signal: controller.signal })).not.toThrow();
    controller.abort();
    expect(() => assertNotAborted({ signal: controller.signal })).toThrow(DeadlineExceededError);
  });
});

describe('whenAborted', () => {
  it('runs the callbacks still registered, in order, once, with one listener per signal', () => {
    const controller = new AbortController();
    const added = jest.spyOn(controller.signal, 'addEventListener');
    const ran: string[] = [];
    whenAborted(controller.signal, () => ran.push('first'));
    const stopSecond = whenAborted(controller.signal, () => ran.push('second'));
    whenAborted(controller.signal, () => ran.push('third'));
    stopSecond();
    controller.abort();
    controller.abort();
    expect(ran).toEqual(['first', 'third']);
    expect(added).toHaveBeenCalledTimes(1);
  });

  it('keeps signals apart', () => {
    const one = new AbortController();
    const two = new AbortController();
    const ran: string[] = [];
    whenAborted(one.signal, () => ran.push('one'));
    whenAborted(two.signal, () => ran.push('two'));
    two.abort();
    expect(ran).toEqual(['two']);
  });
});
