/**
 * Makes scores safe to answer: every score a finite JSON number (JSON has no Infinity or NaN,
 * which serialise as `null`) and the matches sorted by it, descending, whatever the backend.
 *
 * Input bounds (LIMITS.maxVectorValue) keep new scores finite; records stored before that
 * bound can still overflow a float32 score. Such a score is clamped to the largest finite
 * number of its sign, and NaN counts as the least similar, so the order stays meaningful.
 */
export function ranked<T extends { score: number }>(matches: readonly T[]): T[] {
  const safe = matches.map((m) =>
    Number.isFinite(m.score) ? m : { ...m, score: finite(m.score) },
  );
  // Array.prototype.sort is stable: equal scores keep the backend's order.
  return safe.sort((a, b) => b.score - a.score);
}

function finite(score: number): number {
  return score === Infinity ? Number.MAX_VALUE : -Number.MAX_VALUE;
}
