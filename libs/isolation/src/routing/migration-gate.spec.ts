import { DeadlineExceededError } from '@vecgate/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockRelease, MigrationLock } from '../ports/migration-lock';
import { MigrationGate, SHARED_HOLD_JOIN_MS } from './migration-gate';
import { deferred } from '../../../../test/support/deferred';

/** A cross-process lock that records what the gate asks of it; a hold can be made to fail. */
class RecordingLock extends MigrationLock {
  readonly events: string[] = [];
  failNext = false;

  hold(tenantUid: string, exclusive: boolean): Promise<LockRelease> {
    const mode = exclusive ? 'exclusive' : 'shared';
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('registry away'));
    }
    this.events.push(`take ${mode} ${tenantUid.slice(0, 1)}`);
    return Promise.resolve(() => {
      this.events.push(`give ${mode} ${tenantUid.slice(0, 1)}`);
      return Promise.resolve();
    });
  }
}

const UID = 'a'.repeat(32);

describe('MigrationGate', () => {
  it('runs a tenant’s writes side by side', async () => {
    const gate = new MigrationGate();
    const first = deferred();
    const order: string[] = [];
    const a = gate.write(UID, async () => {
      await first.promise;
      order.push('a');
    });
    const b = gate.write(UID, () => Promise.resolve(order.push('b')));
    await b;
    expect(order).toEqual(['b']);
    first.release();
    await a;
  });

  it('starts a copy page only once the writes before it have finished, and holds later writes until it ends', async () => {
    const gate = new MigrationGate();
    const write = deferred();
    const page = deferred();
    const order: string[] = [];
    const before = gate.write(UID, async () => {
      await write.promise;
      order.push('write before');
    });
    const copy = gate.exclusive(UID, async () => {
      order.push('page starts');
      await page.promise;
      order.push('page ends');
    });
    const after = gate.write(UID, () => Promise.resolve(order.push('write after')));
    await sleep(10);
    expect(order).toEqual([]);
    write.release();
    await sleep(10);
    expect(order).toEqual(['write before', 'page starts']);
    page.release();
    await Promise.all([before, copy, after]);
    expect(order).toEqual(['write before', 'page starts', 'page ends', 'write after']);
  });

  it('keeps tenants apart: a copy page of one never waits for another’s writes', async () => {
    const gate = new MigrationGate();
    const held = deferred();
    const other = gate.write('b'.repeat(32), () => held.promise);
    await expect(gate.exclusive(UID, () => Promise.resolve('copied'))).resolves.toBe('copied');
    held.release();
    await other;
  });

  it('lets a write waiting behind a copy page go when its signal aborts, without running it', async () => {
    const gate = new MigrationGate();
    const page = deferred();
    const order: string[] = [];
    const copy = gate.exclusive(UID, async () => {
      order.push('page starts');
      await page.promise;
      order.push('page ends');
    });
    const abandoned = new AbortController();
    const gone = gate.write(
      UID,
      () => Promise.resolve(order.push('abandoned write')),
      abandoned.signal,
    );
    const kept = gate.write(UID, () => Promise.resolve(order.push('kept write')));
    const reason = new DeadlineExceededError();
    abandoned.abort(reason);
    // It answers while the page still runs, not once the page ends.
    await expect(gone).rejects.toBe(reason);
    expect(order).toEqual(['page starts']);
    page.release();
    await Promise.all([copy, kept]);
    expect(order).toEqual(['page starts', 'page ends', 'kept write']);
    // Nothing is left waiting: a new copy page starts at once.
    await expect(gate.exclusive(UID, () => Promise.resolve('next page'))).resolves.toBe(
      'next page',
    );
  });

  it('refuses a write whose signal is already aborted when it would have to wait', async () => {
    const gate = new MigrationGate();
    const page = deferred();
    const copy = gate.exclusive(UID, () => page.promise);
    // The client left: the write stops as past its deadline (no one reads the answer).
    const signal = AbortSignal.abort(new Error('client left'));
    let ran = false;
    await expect(
      gate.write(UID, () => Promise.resolve((ran = true)), signal),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
    page.release();
    await copy;
    expect(ran).toBe(false);
  });

  it('releases the gate when the work fails', async () => {
    const gate = new MigrationGate();
    await expect(gate.exclusive(UID, () => Promise.reject(new Error('down')))).rejects.toThrow(
      'down',
    );
    await expect(gate.write(UID, () => Promise.resolve(1))).resolves.toBe(1);
  });

  describe('in front of the cross-process lock', () => {
    it('takes one shared hold for all of a process’s writes in flight, and gives it back after the last', async () => {
      const lock = new RecordingLock();
      const gate = new MigrationGate(lock);
      const held = deferred();
      const writes = Array.from({ length: 10 }, () => gate.write(UID, () => held.promise));
      await sleep(10);
      expect(lock.events).toEqual(['take shared a']);
      held.release();
      await Promise.all(writes);
      await sleep(0);
      expect(lock.events).toEqual(['take shared a', 'give shared a']);
    });

    it('holds a copy page exclusively, once the process’s own writes have given their hold back', async () => {
      const lock = new RecordingLock();
      const gate = new MigrationGate(lock);
      const held = deferred();
      const write = gate.write(UID, () => held.promise);
      const page = gate.exclusive(UID, () => Promise.resolve(lock.events.push('page')));
      await sleep(10);
      expect(lock.events).toEqual(['take shared a']);
      held.release();
      await Promise.all([write, page]);
      expect(lock.events).toEqual([
        'take shared a',
        'give shared a',
        'take exclusive a',
        'page',
        'give exclusive a',
      ]);
    });

    it('lets later writes join a hold only while it is young, so another process’s page gets its turn', async () => {
      const lock = new RecordingLock();
      const gate = new MigrationGate(lock);
      const first = deferred();
      const early = gate.write(UID, () => first.promise);
      await sleep(SHARED_HOLD_JOIN_MS + 20);
      const late = gate.write(UID, () => Promise.resolve(lock.events.push('late write')));
      await sleep(10);
      // The late write waits for the old hold to end, then takes a hold of its own.
      expect(lock.events).toEqual(['take shared a']);
      first.release();
      await Promise.all([early, late]);
      await sleep(0);
      expect(lock.events).toEqual([
        'take shared a',
        'give shared a',
        'take shared a',
        'late write',
        'give shared a',
      ]);
    });

    it('fails the writes waiting on a hold that cannot be taken, and leaves the gate usable', async () => {
      const lock = new RecordingLock();
      const gate = new MigrationGate(lock);
      lock.failNext = true;
      const [a, b] = [
        gate.write(UID, () => Promise.resolve(1)),
        gate.write(UID, () => Promise.resolve(2)),
      ];
      await expect(a).rejects.toThrow('registry away');
      await expect(b).rejects.toThrow('registry away');
      await expect(gate.write(UID, () => Promise.resolve(3))).resolves.toBe(3);
      await expect(gate.exclusive(UID, () => Promise.resolve(4))).resolves.toBe(4);
    });
  });
});
