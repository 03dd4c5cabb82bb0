/**
 * Helpers for the gateway's bounded in-memory maps (caches, buckets, tallies). A `Map` iterates
 * in insertion order, so its first key is the one set longest ago: re-setting a key through
 * `setNewest` moves it to the end, which makes the order least recently used first.
 */

/** Deletes a map's first-inserted entries until it holds at most `max`. */
export function trimOldest<K, V>(map: Map<K, V>, max: number): void {
  // Called on hot paths: no iterator unless there is something to drop.
  if (map.size <= max) return;
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}

/** Sets `key` as the most recent entry (last in iteration order), then trims to `max`. */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  trimOldest(map, max);
}
