/**
 * What is known of one tenant's usage: the vector count of each of its namespaces, and the
 * metadata bytes of all of them together.
 */
export class UsageTally {
  readonly counts = new Map<string, number>();
  metadataBytes = 0;
  /** Namespaces whose count must be read again from the backend (after a delete by filter). */
  readonly stale = new Set<string>();

  get vectors(): number {
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  adjust(namespace: string, vectors: number, metadata: number): void {
    this.counts.set(namespace, Math.max(0, (this.counts.get(namespace) ?? 0) + vectors));
    this.metadataBytes = Math.max(0, this.metadataBytes + metadata);
  }

  /**
   * Takes fresh counts read from the backend. The metadata bytes become the last known figure
   * per record scaled to the new total (0 when nothing was known): an estimate until the
   * records are rewritten.
   */
  recounted(counts: ReadonlyMap<string, number>, complete: boolean): void {
    const before = this.vectors;
    const perRecord = before > 0 ? this.metadataBytes / before : 0;
    if (complete) this.counts.clear();
    for (const [name, n] of counts) {
      this.counts.set(name, n);
      this.stale.delete(name);
    }
    if (complete) this.stale.clear();
    this.metadataBytes = Math.round(perRecord * this.vectors);
  }
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of the results. */
export async function eachBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
