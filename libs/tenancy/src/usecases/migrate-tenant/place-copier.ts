import {
  ListResult,
  MigrationGate,
  StoredRecord,
  TenantScope,
  TenantVectorStore,
} from '@vecgate/isolation';
import { CopyPacer, PaceClock, realClock } from './copy-pacer';
import { DigestSum, PlaceDigest } from './place-digest';

/** Records per listed page: one page is one exclusive step against the tenant's writes. */
export const COPY_PAGE = 100;
/**
 * How often the copy records its progress (and notices a cancellation): each record is a durable
 * registry write, which on SQLite is an fsync on the main thread; once a page, it cost every
 * tenant's requests a few milliseconds fifty times a second.
 */
export const PROGRESS_EVERY_MS = 1_000;

/**
 * Copies a tenant's records from one of its places to another, through the store port only,
 * a page at a time: each page is read and written with none of the tenant's writes in flight
 * (the migration gate), so a copy never overwrites a newer write nor brings a deleted record
 * back. Paced to `recordsPerSecond` over any window (`CopyPacer`); the calls carry the tenant's scope, so the backends
 * count them as the tenant's own work.
 */
export class PlaceCopier {
  private copied = 0;
  private readonly pacer: CopyPacer;
  /** When progress was last recorded; the first page is recorded at once. */
  private reported = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: TenantVectorStore,
    private readonly gate: MigrationGate,
    recordsPerSecond: number,
    private readonly signal: AbortSignal,
    private readonly clock: PaceClock = realClock,
  ) {
    this.pacer = new CopyPacer(recordsPerSecond, signal, clock);
  }

  /**
   * Copies every record of one namespace; calls `progress` with the total copied at most every
   * PROGRESS_EVERY_MS, and once the namespace is done.
   */
  async copy(
    from: TenantScope,
    to: TenantScope,
    progress: (copied: number) => Promise<void>,
  ): Promise<void> {
    let cursor: string | undefined;
    do {
      this.signal.throwIfAborted();
      const moved = await this.gate.exclusive(from.tenantUid, async () => {
        const page = await this.page(from, cursor, true);
        if (page.records.length > 0) await this.store.upsert(to, page.records.map(toWrite));
        return page;
      });
      cursor = moved.next;
      this.copied += moved.records.length;
      const now = this.clock.now();
      if (cursor === undefined || now - this.reported >= PROGRESS_EVERY_MS) {
        this.reported = now;
        await progress(this.copied);
      }
      await this.pacer.after(moved.records.length);
    } while (cursor !== undefined);
  }

  /**
   * Deletes from `to` the records `from` does not hold (left by a write that reached one place
   * only before a crash), so the verification compares like with like.
   */
  async prune(from: TenantScope, to: TenantScope): Promise<void> {
    let cursor: string | undefined;
    do {
      this.signal.throwIfAborted();
      cursor = await this.gate.exclusive(from.tenantUid, async () => {
        const page = await this.page(to, cursor, false);
        const ids = page.records.map((r) => r.id);
        if (ids.length === 0) return page.next;
        const held = await this.store.fetch(from, ids, {
          includeValues: false,
          includeMetadata: false,
        });
        const present = new Set(held.map((r) => r.id));
        const extra = ids.filter((id) => !present.has(id));
        if (extra.length > 0) await this.store.delete(to, { kind: 'ids', ids: extra });
        return page.next;
      });
    } while (cursor !== undefined);
  }

  /** Count and digest of one namespace of a place; the caller holds the gate exclusively. */
  async digest(scope: TenantScope): Promise<PlaceDigest> {
    const sum = new DigestSum();
    let cursor: string | undefined;
    do {
      this.signal.throwIfAborted();
      const page = await this.page(scope, cursor, true);
      await sum.add(page.records);
      cursor = page.next;
    } while (cursor !== undefined);
    return sum.result();
  }

  /**
   * One listed page, checked like any result: a record of another tenant or namespace stops
   * the migration (it is never copied, nor counted in a digest).
   */
  private async page(
    scope: TenantScope,
    cursor: string | undefined,
    full: boolean,
  ): Promise<ListResult> {
    const page = await this.store.list(
      scope,
      {
        limit: COPY_PAGE,
        ...(cursor !== undefined ? { cursor } : {}),
        includeValues: full,
        includeMetadata: full,
      },
      { signal: this.signal },
    );
    for (const record of page.records) {
      if (record.tenantUid !== scope.tenantUid || record.namespace !== scope.namespace)
        throw new Error(`the listing of ${scope.placement.backend} answered a foreign record`);
    }
    return page;
  }
}

function toWrite(record: StoredRecord) {
  const metadata = record.metadata;
  return {
    id: record.id,
    values: record.values ?? new Float32Array(0),
    ...(metadata && Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}
