import { StoredRecord } from '@vecgate/isolation';
import { DigestSum } from './place-digest';

function record(i: number, metadata: StoredRecord['metadata'] = { n: i }): StoredRecord {
  return {
    id: `r${i}`,
    tenantUid: 'u1',
    namespace: '',
    values: new Float32Array([i, i + 0.5, -i]),
    metadata,
  };
}

async function digestOf(pages: readonly (readonly StoredRecord[])[], sliceMs?: number) {
  const sum = new DigestSum(sliceMs);
  for (const page of pages) await sum.add(page);
  return sum.result();
}

describe('DigestSum', () => {
  it('gives the same digest whatever the order and paging of the records', async () => {
    const records = Array.from({ length: 10 }, (_, i) => record(i));
    const a = await digestOf([records.slice(0, 4), records.slice(4)]);
    const b = await digestOf([[...records].reverse()]);
    expect(a).toEqual(b);
    expect(a.count).toBe(10);
  });

  it('tells apart places that differ in one vector or one metadata value, not in key order', async () => {
    const base = await digestOf([[record(1, { a: 1, b: 'x' }), record(2)]]);
    const vector = await digestOf([
      [record(1, { a: 1, b: 'x' }), { ...record(2), values: new Float32Array(3) }],
    ]);
    const metadata = await digestOf([[record(1, { a: 1, b: 'y' }), record(2)]]);
    const reordered = await digestOf([[record(1, { b: 'x', a: 1 }), record(2)]]);
    expect(vector.digest).not.toBe(base.digest);
    expect(metadata.digest).not.toBe(base.digest);
    expect(reordered.digest).toBe(base.digest);
  });

  it('gives the event loop a turn within a page once its slice is spent', async () => {
    const heavy = { text: 'x'.repeat(40_000) };
    const page = Array.from({ length: 100 }, (_, i) => record(i, heavy));
    let turns = 0;
    let finished = false;
    const tick = (): void => {
      if (finished) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    await new DigestSum(0).add(page);
    finished = true;
    expect(turns).toBeGreaterThanOrEqual(50);
  });
});
