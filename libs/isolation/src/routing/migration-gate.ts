import { Injectable, Optional } from '@nestjs/common';
import { abortError, whenAborted } from '../ports/call-signal';
import { InProcessOnly, LockRelease, MigrationLock } from '../ports/migration-lock';

interface Gate {
  writers: number;
  copying: boolean;
  /** Work waiting its turn, in arrival order: a page of the copy waits for the writes before it. */
  readonly queue: { readonly exclusive: boolean; readonly wake: () => void }[];
}

/** This process's shared hold of a tenant's cross-process lock, for all its writes at once. */
interface SharedHold {
  users: number;
  readonly since: number;
  readonly ready: Promise<LockRelease>;
  readonly ended: Promise<void>;
  readonly end: () => void;
}

/**
 * How long a shared hold takes in new writes. Later ones wait for it to end and ask again, so
 * they queue behind another process's copy page, which would otherwise wait as long as this
 * process has a write in flight.
 */
export const SHARED_HOLD_JOIN_MS = 200;

/**
 * A read/write lock per tenant uid for a moving tenant: its writes (to both places) hold it
 * shared, a page of the copy or the verification holds it exclusive. So the copier never reads
 * a record, sees a client's write of it land in both places, and then writes the stale value
 * (or a deleted record) into the new place. Served in arrival order: neither side starves.
 *
 * In front of the cross-process lock (other replicas on the same registry): a process enters
 * its own gate first, then holds the tenant's cross-process lock once for all its writes in
 * flight, or once for its copy page.
 */
@Injectable()
export class MigrationGate {
  private readonly gates = new Map<string, Gate>();
  private readonly holds = new Map<string, SharedHold>();

  constructor(@Optional() private readonly lock: MigrationLock = new InProcessOnly()) {}

  /**
   * Runs a write of a moving tenant; concurrent with its other writes. A write still waiting
   * for its turn when `signal` aborts (its deadline, its client gone) leaves the queue and
   * rejects with the signal's reason, without running.
   */
  write<T>(tenantUid: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.run(tenantUid, false, signal, async () => {
      const hold = await this.joinShared(tenantUid);
      try {
        return await work();
      } finally {
        this.leaveShared(tenantUid, hold);
      }
    });
  }

  /** Runs a copy page or a verification with none of the tenant's writes in flight anywhere. */
  exclusive<T>(tenantUid: string, work: () => Promise<T>): Promise<T> {
    return this.run(tenantUid, true, undefined, async () => {
      const release = await this.lock.hold(tenantUid, true);
      try {
        return await work();
      } finally {
        await release();
      }
    });
  }

  private async run<T>(
    tenantUid: string,
    exclusive: boolean,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    const gate = this.gateOf(tenantUid);
    if (!this.mayEnter(gate, exclusive)) {
      await this.turn(tenantUid, gate, exclusive, signal);
    } else {
      this.enter(gate, exclusive);
    }
    try {
      return await work();
    } finally {
      this.leave(tenantUid, gate, exclusive);
    }
  }

  /** Waits in the gate's queue until `leave` lets this work in, or until `signal` aborts. */
  private turn(
    tenantUid: string,
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
          // Already let in: the work runs, and the backend call sees the aborted signal.
          if (at < 0) return;
          gate.queue.splice(at, 1);
          // Only a copy page holds a write back, so nothing behind it can run now; the gate
          // is forgotten once nothing is left in it.
          this.wakeQueued(tenantUid, gate);
          reject(abortError(signal));
        });
      }
      gate.queue.push(waiting);
    });
  }

  /** Joins this process's young shared hold of the tenant's lock, or takes a new one. */
  private async joinShared(tenantUid: string): Promise<SharedHold> {
    let hold = this.holds.get(tenantUid);
    while (hold && Date.now() - hold.since >= SHARED_HOLD_JOIN_MS) {
      await hold.ended;
      hold = this.holds.get(tenantUid);
    }
    if (hold) {
      hold.users++;
    } else {
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      const ready = this.lock.hold(tenantUid, false);
      hold = { users: 1, since: Date.now(), ready, ended, end };
      this.holds.set(tenantUid, hold);
    }
    try {
      await hold.ready;
      return hold;
    } catch (err) {
      this.leaveShared(tenantUid, hold);
      throw err;
    }
  }

  private leaveShared(tenantUid: string, hold: SharedHold): void {
    if (--hold.users > 0) return;
    if (this.holds.get(tenantUid) === hold) this.holds.delete(tenantUid);
    void hold.ready
      .then(
        (release) => release(),
        () => undefined,
      )
      .finally(hold.end);
  }

  private gateOf(tenantUid: string): Gate {
    let gate = this.gates.get(tenantUid);
    if (!gate) this.gates.set(tenantUid, (gate = { writers: 0, copying: false, queue: [] }));
    return gate;
  }

  private mayEnter(gate: Gate, exclusive: boolean): boolean {
    if (gate.copying || gate.queue.length > 0) return false;
    return !exclusive || gate.writers === 0;
  }

  private enter(gate: Gate, exclusive: boolean): void {
    if (exclusive) gate.copying = true;
    else gate.writers++;
  }

  private leave(tenantUid: string, gate: Gate, exclusive: boolean): void {
    if (exclusive) gate.copying = false;
    else gate.writers--;
    this.wakeQueued(tenantUid, gate);
  }

  private wakeQueued(tenantUid: string, gate: Gate): void {
    // Wake, in order, whatever may now run: writers up to the next copy page, or that page.
    for (let next = gate.queue[0]; next; next = gate.queue[0]) {
      if (gate.copying || (next.exclusive && gate.writers > 0)) break;
      gate.queue.shift();
      this.enter(gate, next.exclusive);
      next.wake();
      if (next.exclusive) break;
    }
    if (!gate.copying && gate.writers === 0 && gate.queue.length === 0)
      this.gates.delete(tenantUid);
  }
}
