import { Injectable } from '@nestjs/common';

interface Gate {
  writers: number;
  copying: boolean;
  /** Work waiting its turn, in arrival order: a page of the copy waits for the writes before it. */
  readonly queue: { readonly exclusive: boolean; readonly wake: () => void }[];
}

/**
 * A read/write lock per tenant uid for a moving tenant: its writes (to both places) hold it
 * shared, a page of the copy or the verification holds it exclusive. So the copier never reads
 * a record, sees a client's write of it land in both places, and then writes the stale value
 * (or a deleted record) into the new place. Served in arrival order: neither side starves.
 */
@Injectable()
export class MigrationGate {
  private readonly gates = new Map<string, Gate>();

  /** Runs a write of a moving tenant; concurrent with its other writes. */
  write<T>(tenantUid: string, work: () => Promise<T>): Promise<T> {
    return this.run(tenantUid, false, work);
  }

  /** Runs a copy page or a verification with none of the tenant's writes in flight. */
  exclusive<T>(tenantUid: string, work: () => Promise<T>): Promise<T> {
    return this.run(tenantUid, true, work);
  }

  private async run<T>(tenantUid: string, exclusive: boolean, work: () => Promise<T>): Promise<T> {
    const gate = this.gateOf(tenantUid);
    if (!this.mayEnter(gate, exclusive)) {
      await new Promise<void>((wake) => gate.queue.push({ exclusive, wake }));
    } else {
      this.enter(gate, exclusive);
    }
    try {
      return await work();
    } finally {
      this.leave(tenantUid, gate, exclusive);
    }
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
