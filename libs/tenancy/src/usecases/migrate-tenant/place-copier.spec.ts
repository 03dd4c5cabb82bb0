import { ManualClock } from '../../../../../test/support/manual-clock';
import { MigrationGate } from '@vecgate/isolation/routing/migration-gate';
import { embeddedSandbox, provisionedTenant } from '../../../../../test/support/embedded-sandbox';
import { PlaceCopier, PROGRESS_EVERY_MS } from './place-copier';

const sandbox = embeddedSandbox('vg-place-copier-');
const SPACE = { dimension: 4, metric: 'cosine' } as const;

describe('PlaceCopier', () => {
  it('records its progress after the first page, then about once a second, not once a page, and at the end', async () => {
    const store = sandbox.open({ workers: 1 });
    const from = await provisionedTenant(store, 'partition_key', SPACE);
    const to = await provisionedTenant(store, 'collection', SPACE, { tenantUid: from.tenantUid });
    const records = Array.from({ length: 2_000 }, (_, i) => ({
      id: `r${i}`,
      values: new Float32Array([i, 1, 2, 3]),
    }));
    await store.upsert(from, records);
    const clock = new ManualClock();
    // 500 records a second: 2,000 records in 20 pages over 4 s of the fake clock.
    const copier = new PlaceCopier(
      store,
      new MigrationGate(),
      500,
      new AbortController().signal,
      clock,
    );
    const reports: { copied: number; at: number }[] = [];
    await copier.copy(from, to, async (copied) => {
      reports.push({ copied, at: clock.now() });
      return Promise.resolve();
    });
    expect(await store.count(to)).toBe(2_000);
    expect(reports[0]).toEqual({ copied: 100, at: 0 });
    expect(reports.at(-1)?.copied).toBe(2_000);
    expect(reports.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < reports.length - 1; i++)
      expect((reports[i]?.at ?? 0) - (reports[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(
        PROGRESS_EVERY_MS,
      );
  });
});
