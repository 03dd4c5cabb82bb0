import { abortError, whenAborted } from '../ports/call-signal';

interface Gate {
  shared: number;
  exclusive: boolean;
  /** Work waiting its turn, in arrival order: exclusive work waits for the shared work before it. */
  readonly queue: { readonly exclusive: boolean; readonly wake: () => void }[];
}

/**
 * A read/write lock per key, in one process: shared work runs side by side, exclusive work
 * alone, served in arrival order so neither side starves (shared work that arrives after
 * waiting exclusive work waits behind it). Work still waiting for its turn when its `signal`
 * aborts leaves the queue and rejects with the abort's error, without running. A key's state
 * is forgotten once nothing holds it or waits for it.
 */
export class KeyedGate {
  private readonly gates = new Map<string, Gate>();

  shared<T>(key: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.run(key, false, signal, work);
  }

  exclusive<T>(key: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.run(key, true, signal, work);
  }

  private async run<T>(
    key: string,
    exclusive: boolean,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    const gate = this.gateOf(key);
    if (!this.mayEnter(gate, exclusive)) {
      await this.turn(key, gate, exclusive, signal);
    } else {
      this.enter(gate, exclusive);
    }
    try {
      return await work();
    } finally {
      this.leave(key, gate, exclusive);
    }
  }

  /** Waits in the key's queue until `leave` lets this work in, or until `signal` aborts. */
  private turn(
    key: string,
    gate: Gate,
    exclusive: boolean,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<void>((resolve, reject) => {
      let stop = (): void => undefined;
      const waiting = {
        exclusive,
        wake: () => {
          stop();
          resolve();
        },
      };
      if (signal) {
        stop = whenAborted(signal, () => {
          const at = gate.queue.indexOf(waiting);
          // Already let in: the work runs, and what it calls sees the aborted signal.
          if (at < 0) return;
          gate.queue.splice(at, 1);
          // Exclusive work first in line may have held back shared work behind it.
          this.wakeQueued(key, gate);
          reject(abortError(signal));
        });
      }
      gate.queue.push(waiting);
    });
  }

  private gateOf(key: string): Gate {
    let gate = this.gates.get(key);
    if (!gate) this.gates.set(key, (gate = { shared: 0, exclusive: false, queue: [] }));
    return gate;
  }

  private mayEnter(gate: Gate, exclusive: boolean): boolean {
    if (gate.exclusive || gate.queue.length > 0) return false;
    return !exclusive || gate.shared === 0;
  }

  private enter(gate: Gate, exclusive: boolean): void {
    if (exclusive) gate.exclusive = true;
    else gate.shared++;
  }

  private leave(key: string, gate: Gate, exclusive: boolean): void {
    if (exclusive) gate.exclusive = false;
    else gate.shared--;
    this.wakeQueued(key, gate);
  }

  /** Wakes, in order, whatever may now run: shared work up to the next exclusive, or that one. */
  private wakeQueued(key: string, gate: Gate): void {
    for (let next = gate.queue[0]; next; next = gate.queue[0]) {
      if (gate.exclusive || (next.exclusive && gate.shared > 0)) break;
      gate.queue.shift();
      this.enter(gate, next.exclusive);
      next.wake();
      if (next.exclusive) break;
    }
    if (!gate.exclusive && gate.shared === 0 && gate.queue.length === 0) this.gates.delete(key);
  }
}
