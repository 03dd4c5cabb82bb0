import { embeddedSandbox, provisionedTenant } from '../../../../../test/support/embedded-sandbox';
import { ListResult, LIST_SCAN_ROWS, TenantScope, VectorWrite } from '../../ports/vector.types';
import { EmbeddedBackend } from './embedded.backend';

const space = { dimension: 4, metric: 'euclidean' } as const;
const BARE = { includeValues: false, includeMetadata: false } as const;

const idOf = (i: number): string => `e${String(i).padStart(5, '0')}`;

function rows(count: number, tagOf: (i: number) => string): VectorWrite[] {
  return Array.from({ length: count }, (_, i) => ({
    id: idOf(i),
    values: Float32Array.from({ length: space.dimension }, (_, d) => i + d),
    metadata: { tag: tagOf(i) },
  }));
}

async function write(backend: EmbeddedBackend, scope: TenantScope, all: VectorWrite[]) {
  for (let at = 0; at < all.length; at += 1000)
    await backend.upsert(scope, all.slice(at, at + 1000));
}

describe('EmbeddedBackend list', () => {
  const sandbox = embeddedSandbox('vg-list-');
  let backend: EmbeddedBackend;
  let scope: TenantScope;

  beforeEach(async () => {
    backend = sandbox.open({ workers: 1 });
    scope = await provisionedTenant(backend, 'partition_key', space);
  });

  it('examines a bounded number of rows per page under a selective filter: short pages carry next', async () => {
    const total = LIST_SCAN_ROWS * 2 + 500;
    const last = LIST_SCAN_ROWS * 2 + 100;
    const rare = new Set([3, last]);
    await write(
      backend,
      scope,
      rows(total, (i) => (rare.has(i) ? 'rare' : 'common')),
    );
    const filter = { op: '$eq', field: 'tag', value: 'rare' } as const;

    const pages: ListResult[] = [];
    let cursor: string | undefined;
    do {
      const page = await backend.list(scope, { limit: 10, filter, cursor, ...BARE });
      pages.push(page);
      cursor = page.next;
    } while (cursor !== undefined && pages.length < 100);

    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual([idOf(3), idOf(last)]);
    // Each page examined at most LIST_SCAN_ROWS rows: three pages at least, short ones with next.
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(total / LIST_SCAN_ROWS));
    expect(pages[0]!.records.map((r) => r.id)).toEqual(['e00003']);
    expect(pages[0]!.next).toBeDefined();
    expect(pages[1]!.records).toEqual([]);
    expect(pages[1]!.next).toBeDefined();
  });

  it('a full page without a filter reads only its own rows: next resumes right after the last one', async () => {
    await write(
      backend,
      scope,
      rows(25, () => 'common'),
    );
    const first = await backend.list(scope, { limit: 10, ...BARE });
    expect(first.records.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => idOf(i)));
    const second = await backend.list(scope, { limit: 10, cursor: first.next, ...BARE });
    expect(second.records[0]!.id).toBe('e00010');
    const third = await backend.list(scope, { limit: 10, cursor: second.next, ...BARE });
    expect(third.records.map((r) => r.id)).toEqual([
      'e00020',
      'e00021',
      'e00022',
      'e00023',
      'e00024',
    ]);
    expect(third.next).toBeUndefined();
  });

  it('a record written ahead of the cursor during a walk appears; one behind it does not', async () => {
    await write(
      backend,
      scope,
      rows(6, () => 'common'),
    );
    const first = await backend.list(scope, { limit: 3, ...BARE });
    await backend.upsert(scope, [
      { id: 'a-behind', values: new Float32Array(4), metadata: {} },
      { id: 'z-ahead', values: new Float32Array(4), metadata: {} },
    ]);
    const rest = await backend.list(scope, { limit: 100, cursor: first.next, ...BARE });
    expect(rest.records.map((r) => r.id)).toEqual(['e00003', 'e00004', 'e00005', 'z-ahead']);
    expect(rest.next).toBeUndefined();
  });
});
