import { FairQueue } from './fair-queue';

type Item = { lane: string; n: number };
const item = (lane: string, n: number): Item => ({ lane, n });
const names = (items: Item[]) => items.map((i) => `${i.lane}${i.n}`);

describe('FairQueue', () => {
  it('serves lanes in turn, one item each per round, in arrival order within a lane', () => {
    const q = new FairQueue<Item>((i) => i.lane);
    for (let n = 0; n < 5; n++) q.push(item('a', n));
    q.push(item('b', 0));
    q.push(item('c', 0));
    q.push(item('b', 1));
    expect(q.size).toBe(8);
    expect(names(q.take(5))).toEqual(['a0', 'b0', 'c0', 'a1', 'b1']);
    expect(names(q.take(10))).toEqual(['a2', 'a3', 'a4']);
    expect(q.size).toBe(0);
    expect(q.laneCount).toBe(0);
  });

  it('lets a lane that arrives behind a long backlog out in the next take', () => {
    const q = new FairQueue<Item>((i) => i.lane);
    for (let n = 0; n < 1000; n++) q.push(item('noisy', n));
    q.take(100);
    q.push(item('quiet', 0));
    const next = names(q.take(100));
    expect(next.indexOf('quiet0')).toBeLessThan(2);
  });

  it('puts back items taken but not handled at the front of their lanes, first in turn', () => {
    const q = new FairQueue<Item>((i) => i.lane);
    for (const i of [item('a', 0), item('a', 1), item('b', 0), item('b', 1), item('c', 0)])
      q.push(i);
    const taken = q.take(3);
    expect(names(taken)).toEqual(['a0', 'b0', 'c0']);
    q.putBack(taken);
    expect(q.size).toBe(5);
    expect(q.sizeOf('a')).toBe(2);
    expect(names(q.take(5))).toEqual(['a0', 'b0', 'c0', 'a1', 'b1']);
  });
});
