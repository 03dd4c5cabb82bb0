/** Ends a hold of a migration lock; never rejects. */
export type LockRelease = () => Promise<void>;

/**
 * The cross-process half of the migration gate: a read/write lock per tenant uid that every
 * gateway process sharing a registry sees (writes of a moving tenant shared, a copy page or a
 * verification exclusive). Held only around the writes of tenants that are moving; the gate
 * in front of it makes one process hold it at most once per tenant at a time.
 */
export abstract class MigrationLock {
  /** Waits until the tenant's lock is held in the mode asked for; the release gives it back. */
  abstract hold(tenantUid: string, exclusive: boolean): Promise<LockRelease>;
}

/** One process alone (a SQLite registry, a unit test): the in-process gate is the whole lock. */
export class InProcessOnly extends MigrationLock {
  hold(): Promise<LockRelease> {
    return Promise.resolve(() => Promise.resolve());
  }
}
