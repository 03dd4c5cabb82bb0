import { Injectable } from '@nestjs/common';
import { KeyedMutex } from './keyed-mutex';

/**
 * The one per-tenant-id lock of the process: creation, deletion, recovery and token minting
 * of an id never run at the same time here (across replicas, compare-and-set rows do that).
 */
@Injectable()
export class TenantLocks extends KeyedMutex {}

/** How often work on a row in a transient state refreshes it (well under the recovery grace). */
const HEARTBEAT_MS = 15_000;

/** Keeps a transient row fresh while work on it runs, so no other replica's recovery takes it. */
export function heartbeat(touch: (now: number) => Promise<void>): NodeJS.Timeout {
  const timer = setInterval(() => {
    touch(Date.now()).catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  return timer;
}
