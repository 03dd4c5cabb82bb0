import {
  ListPage,
  ListResult,
  makeTenantScope,
  MAX_LIST_LIMIT,
  StoredRecord,
  TenantScope,
  VectorBackendDriver,
  VectorWrite,
} from '@vecgate/isolation';
import { rng } from '../support/rng';

/** What the list cases need from the isolation suite around them. */
export interface ListCaseContext {
  /** The driver under test, or undefined when the strategy is skipped. */
  driver(): VectorBackendDriver | undefined;
  /**
   * Two tenants of the strategy, each holding `seededIds` in the default namespace with
   * metadata `owner: 'a'` and `owner: 'b'`.
   */
  tenants(): { readonly a: TenantScope; readonly b: TenantScope };
  readonly seededIds: readonly string[];
  settle(): Promise<void>;
  /** False when the backend lists in a stable order other than ascending id (say which). */
  readonly ascendingIds: boolean;
}

const BARE = { includeValues: false, includeMetadata: false } as const;
const ALL = { includeValues: true, includeMetadata: true } as const;
/** A walk that takes more pages than this is not ending. */
const MAX_PAGES = 2000;

function inNamespace(scope: TenantScope, namespace: string): TenantScope {
  const { tenantId, tenantUid, placement, space } = scope;
  return makeTenantScope({ tenantId, tenantUid, placement, space, namespace });
}

/** Records of `owner` ('a' or 'b'), their metadata naming it like the seeded ones. */
function records(
  owner: 'a' | 'b',
  scope: TenantScope,
  ids: readonly string[],
  seed: number,
  metadata: (id: string, i: number) => Record<string, string | number> = () => ({}),
): VectorWrite[] {
  const next = rng(seed);
  return ids.map((id, i) => ({
    id,
    values: Float32Array.from({ length: scope.space.dimension }, () => next() * 2 - 1),
    metadata: { owner, ...metadata(id, i) },
  }));
}

async function upsertAll(
  driver: VectorBackendDriver,
  scope: TenantScope,
  writes: readonly VectorWrite[],
): Promise<void> {
  for (let at = 0; at < writes.length; at += 100)
    await driver.upsert(scope, writes.slice(at, at + 100));
}

/** Follows `next` from the first page to the end; returns every page. */
async function walk(
  driver: VectorBackendDriver,
  scope: TenantScope,
  page: Omit<ListPage, 'cursor'>,
): Promise<ListResult[]> {
  const pages: ListResult[] = [];
  let cursor: string | undefined;
  do {
    const result = await driver.list(scope, { ...page, cursor });
    pages.push(result);
    expect(result.records.length).toBeLessThanOrEqual(page.limit);
    cursor = result.next;
    if (pages.length > MAX_PAGES) throw new Error(`the walk took over ${MAX_PAGES} pages`);
  } while (cursor !== undefined);
  return pages;
}

function idsOf(pages: readonly ListResult[]): string[] {
  return pages.flatMap((p) => p.records.map((r) => r.id));
}

function expectScope(scope: TenantScope, found: readonly StoredRecord[]): void {
  for (const record of found) {
    expect(record.tenantUid).toBe(scope.tenantUid);
    expect(record.namespace).toBe(scope.namespace);
  }
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Registers the list cases inside a strategy's block of the isolation suite. */
export function describeListCases(ctx: ListCaseContext): void {
  function run(body: (driver: VectorBackendDriver) => Promise<void>): () => Promise<void> {
    return async () => {
      const driver = ctx.driver();
      if (driver) await body(driver);
    };
  }

  function expectOrder(ids: readonly string[], expected: readonly string[]): void {
    if (ctx.ascendingIds) expect(ids).toEqual([...expected].sort(byteOrder));
    else expect([...ids].sort(byteOrder)).toEqual([...expected].sort(byteOrder));
  }

  describe('listing', () => {
    it(
      "walking every page visits each of the namespace's records once, in a stable order",
      run(async (driver) => {
        const { a, b } = ctx.tenants();
        const more = records(
          'a',
          a,
          Array.from({ length: 23 }, (_, i) => `w${String(i).padStart(2, '0')}`),
          11,
        );
        await upsertAll(driver, a, more);
        await ctx.settle();
        const expected = [...ctx.seededIds, ...more.map((r) => r.id)];

        const pages = await walk(driver, a, { limit: 4, ...ALL });
        const ids = idsOf(pages);
        expectOrder(ids, expected);
        expect(new Set(ids).size).toBe(expected.length);
        const found = pages.flatMap((p) => p.records);
        expectScope(a, found);
        for (const record of found) expect(record.metadata!.owner).toBe('a');
        const w07 = found.find((r) => r.id === 'w07')!;
        expect(Array.from(w07.values!)).toEqual(Array.from(more[7]!.values));

        const again = idsOf(await walk(driver, a, { limit: 7, ...BARE }));
        expect(again).toEqual(ids);
        const whole = await driver.list(a, { limit: MAX_LIST_LIMIT, ...BARE });
        expect(whole.records.map((r) => r.id)).toEqual(ids);
        for (const record of whole.records) {
          expect(record.values).toBeUndefined();
          expect(record.metadata).toBeUndefined();
        }
        expect(idsOf(await walk(driver, b, { limit: 4, ...BARE })).sort()).toEqual(
          [...ctx.seededIds].sort(),
        );
      }),
    );

    it(
      'a prefix lists only the ids that start with it, LIKE wildcards taken literally',
      run(async (driver) => {
        const { a, b } = ctx.tenants();
        const ids = ['p/a1', 'p/a2', 'p/b1', 'p', 'q/a1', '50%_off', '50%x', '50_x', '50ab'];
        await upsertAll(driver, a, records('a', a, ids, 12));
        await upsertAll(driver, b, records('b', b, ['p/a3'], 13));
        await ctx.settle();
        const listed = async (prefix: string): Promise<string[]> =>
          idsOf(await walk(driver, a, { limit: 1, prefix, ...BARE }));
        expectOrder(await listed('p/a'), ['p/a1', 'p/a2']);
        expectOrder(await listed('p'), ['p/a1', 'p/a2', 'p/b1', 'p']);
        expectOrder(await listed('50%'), ['50%_off', '50%x']);
        expectOrder(await listed('50_'), ['50_x']);
        expect(await listed('zz')).toEqual([]);
        expect(await listed('p\u0000')).toEqual([]);
        expectOrder(await listed('r'), [...ctx.seededIds.filter((id) => id.startsWith('r'))]);
      }),
    );

    it(
      'a selective filter may give short pages, but the walk finds every match',
      run(async (driver) => {
        const { a, b } = ctx.tenants();
        const ids = Array.from({ length: 300 }, (_, i) => `f${String(i).padStart(3, '0')}`);
        const rare = new Set(['f007', 'f150', 'f299']);
        await upsertAll(
          driver,
          a,
          records('a', a, ids, 14, (id) => ({ tag: rare.has(id) ? 'rare' : 'common' })),
        );
        await upsertAll(
          driver,
          b,
          records('b', b, ['f008'], 15, () => ({ tag: 'rare' })),
        );
        await ctx.settle();
        const filter = { op: '$eq', field: 'tag', value: 'rare' } as const;
        const pages = await walk(driver, a, { limit: 2, filter, ...ALL });
        expectOrder(idsOf(pages), [...rare]);
        for (const record of pages.flatMap((p) => p.records)) {
          expect(record.metadata!.tag).toBe('rare');
          expect(record.tenantUid).toBe(a.tenantUid);
        }
        const colored = idsOf(
          await walk(driver, a, {
            limit: 2,
            prefix: 'r',
            filter: { op: '$eq', field: 'color', value: 'red' },
            ...BARE,
          }),
        );
        expectOrder(colored, ['r0', 'r2', 'r4']);
      }),
    );

    it(
      "never lists another namespace's or tenant's records, even with their cursor",
      run(async (driver) => {
        const { a, b } = ctx.tenants();
        const aDocs = inNamespace(a, 'docs');
        const bDocs = inNamespace(b, 'docs');
        await upsertAll(driver, aDocs, records('a', aDocs, ['d0', 'd1', 'd2', 'r0'], 16));
        await upsertAll(driver, bDocs, records('b', bDocs, ['d3', 'd4'], 17));
        await ctx.settle();

        const inDefault = await walk(driver, a, { limit: 2, ...ALL });
        expectOrder(idsOf(inDefault), ctx.seededIds);
        expectScope(
          a,
          inDefault.flatMap((p) => p.records),
        );
        const inDocs = await walk(driver, aDocs, { limit: 2, ...ALL });
        expectOrder(idsOf(inDocs), ['d0', 'd1', 'd2', 'r0']);
        expectScope(
          aDocs,
          inDocs.flatMap((p) => p.records),
        );
        expectOrder(idsOf(await walk(driver, bDocs, { limit: 2, ...BARE })), ['d3', 'd4']);

        const cursor = inDefault[0]!.next!;
        expect(cursor).toBeDefined();
        for (const elsewhere of [b, aDocs, bDocs]) {
          await expect(driver.list(elsewhere, { limit: 2, cursor, ...BARE })).rejects.toMatchObject(
            { status: 400, extras: { field: 'cursor' } },
          );
        }
      }),
    );

    it(
      'a malformed cursor or a limit out of bounds is a 400 naming it',
      run(async (driver) => {
        const { a } = ctx.tenants();
        const first = await driver.list(a, { limit: 1, ...BARE });
        const good = first.next!;
        expect(good).toBeDefined();
        // The part naming the scope altered: the cursor of no listing of this namespace.
        const retagged = `${good.startsWith('A') ? 'B' : 'A'}${good.slice(1)}`;
        const malformed = ['garbage', '', '.', `${good}=`, `${good}.x`, retagged, 'x'.repeat(5000)];
        for (const cursor of malformed) {
          await expect(driver.list(a, { limit: 1, cursor, ...BARE })).rejects.toMatchObject({
            status: 400,
            extras: { field: 'cursor' },
          });
        }
        for (const limit of [0, -1, 1.5, MAX_LIST_LIMIT + 1, Number.NaN]) {
          await expect(driver.list(a, { limit, ...BARE })).rejects.toMatchObject({
            status: 400,
            extras: { field: 'limit' },
          });
        }
        const second = await driver.list(a, { limit: 1, cursor: good, ...BARE });
        expect(second.records).toHaveLength(1);
        expect(second.records[0]!.id).not.toBe(first.records[0]!.id);
      }),
    );
  });
}
