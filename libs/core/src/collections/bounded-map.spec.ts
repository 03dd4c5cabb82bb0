import { setNewest, trimOldest } from './bounded-map';

describe('bounded maps', () => {
  it('trims the first-inserted entries down to the bound', () => {
    const map = new Map([1, 2, 3, 4, 5].map((n) => [n, `v${n}`]));
    trimOldest(map, 2);
    expect([...map.keys()]).toEqual([4, 5]);
    trimOldest(map, 5);
    expect([...map.keys()]).toEqual([4, 5]);
    trimOldest(map, 0);
    expect(map.size).toBe(0);
  });

  it('moves a re-set key to the end, so the least recently set is dropped first', () => {
    const map = new Map<string, number>();
    setNewest(map, 'a', 1, 3);
    setNewest(map, 'b', 2, 3);
    setNewest(map, 'c', 3, 3);
    setNewest(map, 'a', 4, 3);
    setNewest(map, 'd', 5, 3);
    expect([...map.entries()]).toEqual([
      ['c', 3],
      ['a', 4],
      ['d', 5],
    ]);
  });
});
