import { Logger } from '@nestjs/common';
import { SqlDatabase, trimOldest } from '@vecgate/core';

interface Entry<V> {
  readonly value: V;
  readonly at: number;
}

export interface NotifiedCacheOptions<V> {
  /** PostgreSQL channel the replicas announce changed keys on. */
  readonly channel: string;
  /** An entry is never served older than this, which bounds staleness when a notice is lost. */
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly load: (key: string) => Promise<V>;
}

/**
 * Registry rows served from memory for the hot path: an entry is dropped at once on this
 * replica when it changes and through PostgreSQL LISTEN/NOTIFY on the others, and never served
 * older than `ttlMs`. A read racing a change is answered but not cached.
 */
export class NotifiedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<V>>();
  /** Bumped by every invalidation, so a read that raced a change is not cached. */
  private readonly generations = new Map<string, number>();
  private epoch = 0;
  private unlisten?: () => Promise<void>;

  constructor(
    private readonly sql: SqlDatabase,
    private readonly logger: Logger,
    private readonly options: NotifiedCacheOptions<V>,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.sql.listen(
      this.options.channel,
      (key) => this.invalidate(key),
      () => {
        this.logger.warn(`${this.options.channel} notifications reconnected; dropping the cache`);
        this.invalidateAll();
      },
    );
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }

  /** How long another replica may keep serving a changed entry, at most. */
  get stalenessBoundMs(): number {
    return this.sql.dialect === 'postgres' ? this.options.ttlMs : 0;
  }

  async get(key: string): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && Date.now() - entry.at < this.options.ttlMs) return entry.value;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const startedAt = Date.now();
    const epoch = this.epoch;
    const generation = this.generations.get(key) ?? 0;
    const load = this.options.load(key).finally(() => {
      if (this.loading.get(key) === load) this.loading.delete(key);
    });
    this.loading.set(key, load);
    const value = await load;
    // A change that happened while this read was in flight makes its result unfit to cache.
    if (this.epoch === epoch && (this.generations.get(key) ?? 0) === generation) {
      this.entries.set(key, { value, at: startedAt });
      this.trim();
    }
    return value;
  }

  /**
   * Called after every change: drops the entry here and tells the other replicas. The change
   * is committed by then, so a notification that cannot be sent (the database just went away)
   * does not turn it into an error: the other replicas see it within `ttlMs` anyway.
   */
  async changed(key: string): Promise<void> {
    this.invalidate(key);
    try {
      await this.sql.notify(this.options.channel, key);
    } catch (err) {
      this.logger.warn(`could not announce the change of ${key}: ${(err as Error).message}`);
    }
  }

  private invalidate(key: string): void {
    this.entries.delete(key);
    this.loading.delete(key);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
  }

  private invalidateAll(): void {
    this.entries.clear();
    this.loading.clear();
    this.generations.clear();
    this.epoch++;
  }

  private trim(): void {
    if (this.entries.size <= this.options.maxEntries) return;
    trimOldest(this.entries, this.options.maxEntries);
    if (this.generations.size > this.options.maxEntries) this.invalidateAll();
  }
}
