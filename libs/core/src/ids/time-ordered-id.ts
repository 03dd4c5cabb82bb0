import { randomUUID } from 'node:crypto';

/**
 * A UUID of version 7 (RFC 9562): the first 48 bits are the Unix time in milliseconds, the rest
 * random (74 bits) with the version and variant bits. Ids made later sort after ids made
 * earlier (within a millisecond, in any order), so a B-tree keyed by them grows at its end:
 * the audit key of every request is one, and with random (version 4) ids each event's insert
 * landed on a random page of the key index, which cost the audit commit about 1.5 times the
 * CPU per event (see bench/README.md). Built from `randomUUID` (whose random bytes Node draws from a
 * cached pool) by replacing its first 13 hex digits.
 */
export function timeOrderedId(now: number = Date.now()): string {
  const random = randomUUID();
  const time = Math.trunc(now).toString(16).padStart(12, '0').slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
