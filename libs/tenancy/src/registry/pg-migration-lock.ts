import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { databaseUnavailable } from '@vecgate/core';
import { LockRelease, MigrationLock } from '@vecgate/isolation';
import type { Pool, PoolClient } from 'pg';

/** First key of vecgate's advisory locks ("vg" + 1): apart from other users of the database. */
export const MIGRATION_LOCK_CLASS = 0x76670001;

const TAKE = {
  shared: 'select pg_advisory_lock_shared($1::int4, hashtext($2))',
  exclusive: 'select pg_advisory_lock($1::int4, hashtext($2))',
} as const;
const GIVE_BACK = {
  shared: 'select pg_advisory_unlock_shared($1::int4, hashtext($2))',
  exclusive: 'select pg_advisory_unlock($1::int4, hashtext($2))',
} as const;

/**
 * The migration lock of replicas sharing a PostgreSQL registry: a session-level advisory lock
 * per tenant uid (shared for writes, exclusive for a copy page or the verification), held on a
 * connection of a small pool of its own for as long as the work runs. No transaction stays
 * open meanwhile, and a replica that dies or loses the connection lets go of its locks with
 * its session. Two uids whose hashes collide only wait for each other.
 *
 * The pool bounds what the locks cost the database: one connection per tenant this process
 * holds a lock for (the gate in front takes one hold per tenant for all its writes in flight);
 * past that, holds wait for a connection, at most the connect timeout, and then fail as the
 * registry being unavailable (503). A wait for the lock itself is bounded by the registry's
 * statement timeout.
 */
export class PgMigrationLock extends MigrationLock implements OnApplicationShutdown {
  private readonly logger = new Logger(PgMigrationLock.name);

  constructor(private readonly pool: Pool) {
    super();
  }

  async hold(tenantUid: string, exclusive: boolean): Promise<LockRelease> {
    const mode = exclusive ? 'exclusive' : 'shared';
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw databaseUnavailable(err as Error);
    }
    // A connection the server terminates while held reports it here, not to the pool.
    const lost = (err: Error): void =>
      this.logger.warn(`migration lock connection lost: ${err.message}`);
    client.on('error', lost);
    const release = (err?: Error): void => {
      client.off('error', lost);
      client.release(err);
    };
    try {
      await client.query(TAKE[mode], [MIGRATION_LOCK_CLASS, tenantUid]);
    } catch (err) {
      release(err as Error);
      throw databaseUnavailable(err as Error);
    }
    return async () => {
      try {
        await client.query(GIVE_BACK[mode], [MIGRATION_LOCK_CLASS, tenantUid]);
        release();
      } catch (err) {
        // Destroying the connection ends its session, and so every lock it held.
        release(err as Error);
      }
    };
  }

  onApplicationShutdown(): Promise<void> {
    return this.pool.end();
  }
}
