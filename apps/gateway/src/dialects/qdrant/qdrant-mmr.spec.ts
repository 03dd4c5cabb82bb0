import { countingTurns } from '../../../../../test/support/turns';
import { rng } from '../../../../../test/support/rng';
import { MMR_BUDGET, MMR_SLICE, mmrSelect } from './qdrant-mmr';

function vectors(count: number, dimension: number, seed: number): number[][] {
  const next = rng(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: dimension }, () => next() * 2 - 1),
  );
}

describe('mmrSelect', () => {
  it('picks the most relevant first, then trades relevance for distance from the picked', async () => {
    const query = [1, 0];
    // b is almost a; c is less relevant but points elsewhere.
    const candidates = [
      [1, 0.01],
      [1, 0.02],
      [0.6, 0.8],
    ].map((values) => ({ values }));
    expect(await mmrSelect(query, candidates, 2, 0)).toEqual([0, 1]);
    expect(await mmrSelect(query, candidates, 2, 0.8)).toEqual([0, 2]);
    expect(await mmrSelect(query, candidates, 5, 0.5)).toHaveLength(3);
  });

  it('cuts a selection at the budget into slices, one per turn of the event loop', async () => {
    const dimension = 64;
    const count = 256;
    const candidateCount = Math.floor(MMR_BUDGET / (count * dimension));
    const candidates = vectors(candidateCount, dimension, 7).map((values) => ({ values }));
    const query = vectors(1, dimension, 8)[0] as number[];
    const { picked, turns } = await countingTurns(async (turn) => {
      const first = turn();
      const chosen = await mmrSelect(query, candidates, count, 0.5);
      return { picked: chosen, turns: turn() - first };
    });
    expect(new Set(picked).size).toBe(count);
    // Each pick costs up to candidates × dimension multiplications.
    expect(turns).toBeGreaterThanOrEqual(Math.floor(MMR_BUDGET / MMR_SLICE / 2));
  });
});
