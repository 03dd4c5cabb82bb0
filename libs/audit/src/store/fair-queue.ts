/**
 * A FIFO per lane (one lane per tenant), served round-robin: `take(n)` hands out one item of
 * each waiting lane in turn, so however long one lane's backlog is, an item that arrives in
 * another lane leaves in the next take. Order within a lane is kept, retries included.
 */
export class FairQueue<T> {
  /** Lanes in serving order; a lane is removed when it empties. */
  private lanes = new Map<string, T[]>();
  private count = 0;

  constructor(private readonly laneOf: (item: T) => string) {}

  get size(): number {
    return this.count;
  }

  get laneCount(): number {
    return this.lanes.size;
  }

  sizeOf(lane: string): number {
    return this.lanes.get(lane)?.length ?? 0;
  }

  push(item: T): void {
    const lane = this.laneOf(item);
    const items = this.lanes.get(lane);
    if (items) items.push(item);
    else this.lanes.set(lane, [item]);
    this.count++;
  }

  /** Up to `max` items, one per lane per round; each served lane moves to the back. */
  take(max: number): T[] {
    const taken: T[] = [];
    while (taken.length < max && this.lanes.size > 0) {
      for (const [lane, items] of [...this.lanes]) {
        if (taken.length >= max) break;
        taken.push(items.shift() as T);
        this.lanes.delete(lane);
        if (items.length > 0) this.lanes.set(lane, items);
      }
    }
    this.count -= taken.length;
    return taken;
  }

  /** Returns items taken but not handled to the front of their lanes, served first again. */
  putBack(items: readonly T[]): void {
    if (items.length === 0) return;
    const front = new Map<string, T[]>();
    for (const item of items) {
      const lane = this.laneOf(item);
      const returned = front.get(lane);
      if (returned) returned.push(item);
      else front.set(lane, [item]);
    }
    for (const [lane, returned] of front) returned.push(...(this.lanes.get(lane) ?? []));
    for (const [lane, rest] of this.lanes) if (!front.has(lane)) front.set(lane, rest);
    this.lanes = front;
    this.count += items.length;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const items of this.lanes.values()) yield* items;
  }
}
