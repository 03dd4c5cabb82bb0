import { heavyTurn } from '@vecgate/core';

/** A candidate of a maximal-marginal-relevance selection: its vector and its similarity score. */
export interface MmrCandidate {
  readonly values: ArrayLike<number>;
}

/** Multiplications one MMR selection may cost on the event loop (about 35 ms on 2 vCPUs). */
export const MMR_BUDGET = 1 << 24;
/**
 * Multiplications between two turns of the event loop: a selection at the budget is cut into
 * slices of about 2 ms, one per turn (`heavyTurn`), so sixteen of them in flight no longer hold
 * the loop for half a second.
 */
export const MMR_SLICE = 1 << 20;

/**
 * Picks `count` candidates by maximal marginal relevance, as Qdrant's `mmr` query does:
 * each step takes the candidate maximising `(1 - diversity) · sim(query, c) − diversity ·
 * max sim(c, picked)`, with cosine similarity throughout. The caller bounds
 * `count × candidates × dimension` by `MMR_BUDGET`. Returns indexes into `candidates`.
 */
export async function mmrSelect(
  query: ArrayLike<number>,
  candidates: readonly MmrCandidate[],
  count: number,
  diversity: number,
): Promise<number[]> {
  const relevance = candidates.map((c) => cosine(query, c.values));
  const closest = candidates.map(() => -Infinity);
  const picked: number[] = [];
  const free = new Set(candidates.map((_, i) => i));
  let work = candidates.length * query.length;
  while (picked.length < count && free.size > 0) {
    if (work >= MMR_SLICE) {
      await heavyTurn();
      work = 0;
    }
    let best = -1;
    let bestScore = -Infinity;
    for (const i of free) {
      const redundancy = picked.length === 0 ? 0 : (closest[i] as number);
      const score = (1 - diversity) * (relevance[i] as number) - diversity * redundancy;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    picked.push(best);
    free.delete(best);
    const chosen = (candidates[best] as MmrCandidate).values;
    for (const i of free)
      closest[i] = Math.max(
        closest[i] as number,
        cosine((candidates[i] as MmrCandidate).values, chosen),
      );
    work += free.size * chosen.length;
  }
  return picked;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
