import { ranked } from './ranked';

describe('ranked', () => {
  it('turns scores that overflowed (records stored before the value bound) into finite numbers', () => {
    const out = ranked([
      { id: 'a', score: -Infinity },
      { id: 'b', score: NaN },
      { id: 'c', score: 0.5 },
      { id: 'd', score: Infinity },
    ]);
    expect(out.map((m) => m.id)).toEqual(['d', 'c', 'a', 'b']);
    for (const m of out) expect(Number.isFinite(m.score)).toBe(true);
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it('sorts by score, descending, keeping the backend order among equal scores', () => {
    const out = ranked([
      { id: 'x', score: 1 },
      { id: 'y', score: 3 },
      { id: 'z', score: 1 },
    ]);
    expect(out.map((m) => m.id)).toEqual(['y', 'x', 'z']);
  });
});
