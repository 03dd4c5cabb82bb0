import { Injectable, Optional } from '@nestjs/common';
import { InProcessOnly, LockRelease, MigrationLock } from '../ports/migration-lock';
import { KeyedGate } from './keyed-gate';

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
  private readonly gates = new KeyedGate();
  private readonly holds = new Map<string, SharedHold>();

  constructor(@Optional() private readonly lock: MigrationLock = new InProcessOnly()) {}

  /**
   * Runs a write of a moving tenant; concurrent with its other writes. A write still waiting
   * for its turn when `signal` aborts (its deadline, its client gone) leaves the queue and
   * rejects with the signal's reason, without running.
   */
  write<T>(tenantUid: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.gates.shared(
      tenantUid,
      async () => {
        const hold = await this.joinShared(tenantUid);
        try {
          return await work();
        } finally {
          this.leaveShared(tenantUid, hold);
        }
      },
      signal,
    );
  }

  /** Runs a copy page or a verification with none of the tenant's writes in flight anywhere. */
  exclusive<T>(tenantUid: string, work: () => Promise<T>): Promise<T> {
    return this.gates.exclusive(tenantUid, async () => {
      const release = await this.lock.hold(tenantUid, true);
      try {
        return await work();
      } finally {
        await release();
      }
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
}
