import { setTimeout as sleep } from 'node:timers/promises';
import { MigrationGate } from './migration-gate';

const UID = 'a'.repeat(32);

function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

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

  it('releases the gate when the work fails', async () => {
    const gate = new MigrationGate();
    await expect(gate.exclusive(UID, () => Promise.reject(new Error('down')))).rejects.toThrow(
      'down',
    );
    await expect(gate.write(UID, () => Promise.resolve(1))).resolves.toBe(1);
  });
});
