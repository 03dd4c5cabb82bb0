import { randomBytes } from 'node:crypto';
import {
  makeTenantScope,
  Metadata,
  StoredRecord,
  STRATEGIES,
  StrategyName,
  TenantScope,
  VectorBackendDriver,
  VectorSpace,
  VectorWrite,
} from '@vecgate/isolation';
import { describeUnless } from '../support/container-runtime';
import { describeListCases } from './list.conformance';
import { rng } from '../support/rng';

/**
 * The isolation suite, written once and run against every backend. A
 * backend's spec file calls `describeIsolationConformance` with a setup that either gives a
 * ready driver or says why the backend cannot be tested here (no container runtime...).
 */
export interface ConformanceTarget {
  readonly driver: VectorBackendDriver;
  /** Releases everything setup made (files, containers, clients). */
  cleanup(): Promise<void>;
  /**
   * Vector spaces to use; a remote backend's partition_key needs both mapped to shared places.
   * `primary` is used by the two tenants under test, `other` differs from it in dimension.
   */
  readonly spaces?: { readonly primary: VectorSpace; readonly other: VectorSpace };
  /** Waits until writes and deletes are visible to reads, for eventually consistent backends. */
  settle?(): Promise<void>;
}

/** What is known about a backend before its (asynchronous) setup runs. */
export interface ConformanceOptions {
  /** The strategies of this backend to run the suite for; the others are reported skipped. */
  readonly strategies: readonly StrategyName[];
  /**
   * Why the backend cannot run here (no container runtime, no server configured): the suite is
   * then registered skipped with the reason printed, and setup never runs.
   */
  readonly skip?: string;
  /** Whether the namespace cases run (every backend, once its adapter stores namespaces). */
  readonly namespaces?: boolean;
  /**
   * `stable` for a backend whose listing keeps a stable order other than ascending id (its
   * docs say which); the list cases then check each id once, not the order.
   */
  readonly listOrder?: 'ascending_id' | 'stable';
}

export type ConformanceSetup = () => Promise<ConformanceTarget>;

const IDS = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'] as const;
const ALL = { includeValues: true, includeMetadata: true } as const;
const DEFAULT_SPACES = {
  primary: { dimension: 8, metric: 'cosine' },
  other: { dimension: 12, metric: 'cosine' },
} as const satisfies { primary: VectorSpace; other: VectorSpace };

function vectors(seed: number, count: number, dimension: number): Float32Array[] {
  const next = rng(seed);
  return Array.from({ length: count }, () =>
    Float32Array.from({ length: dimension }, () => next() * 2 - 1),
  );
}

/** The call's answer, or `fallback` when it failed (synchronously or not). */
function failClosed<T>(call: () => Promise<T>, fallback: T): Promise<T> {
  return Promise.resolve()
    .then(call)
    .catch(() => fallback);
}

interface Tenant {
  readonly scope: TenantScope;
  readonly owner: string;
  readonly records: readonly VectorWrite[];
}

// --- the suite --------------------------------------------------------------------------------

/**
 * Registers the suite for one backend. Strategies the backend does not run, and the whole suite
 * when `options.skip` gives a reason, register as `describe.skip` with the reason printed.
 */
export function describeIsolationConformance(
  name: string,
  options: ConformanceOptions,
  setup: ConformanceSetup,
): void {
  const describeOrSkip = describeUnless(options.skip, `isolation conformance for ${name}`);
  describeOrSkip(`isolation conformance: ${name}`, () => {
    let target: ConformanceTarget | undefined;

    beforeAll(async () => {
      target = await setup();
    });

    afterAll(async () => {
      await target?.cleanup();
    });

    function ready(): ConformanceTarget {
      if (!target) throw new Error(`conformance setup for ${name} did not run`);
      return target;
    }

    async function settle(t: ConformanceTarget): Promise<void> {
      await t.settle?.();
    }

    async function createTenant(
      t: ConformanceTarget,
      strategy: StrategyName,
      space: VectorSpace,
      owner: string,
    ): Promise<TenantScope> {
      const tenantUid = randomBytes(16).toString('hex');
      const tenantId = `conf-${owner}-${tenantUid.slice(0, 8)}`;
      const placement = t.driver.plan({ tenantId, tenantUid, strategy, space });
      const scope = makeTenantScope({ tenantId, tenantUid, placement, space });
      await t.driver.checkCapacity(scope);
      await t.driver.provision(scope);
      return scope;
    }

    /** A tenant holding IDS, each with metadata naming its owner. */
    async function seeded(
      t: ConformanceTarget,
      strategy: StrategyName,
      space: VectorSpace,
      owner: string,
      seed: number,
      extra: (i: number) => Metadata = () => ({}),
    ): Promise<Tenant> {
      const scope = await createTenant(t, strategy, space, owner);
      const values = vectors(seed, IDS.length, space.dimension);
      const records = IDS.map((id, i) => ({
        id,
        values: values[i]!,
        metadata: { owner, n: i, color: i % 2 === 0 ? 'red' : 'blue', ...extra(i) },
      }));
      await expect(t.driver.upsert(scope, records)).resolves.toEqual({ upserted: IDS.length });
      return { scope, owner, records };
    }

    function expectOwn(tenant: Tenant, found: readonly StoredRecord[]): void {
      for (const record of found) {
        expect(record.tenantUid).toBe(tenant.scope.tenantUid);
        expect(IDS as readonly string[]).toContain(record.id);
        if (record.metadata) expect(record.metadata.owner).toBe(tenant.owner);
        if (record.values) {
          const own = tenant.records.find((r) => r.id === record.id)!;
          expect(Array.from(record.values)).toEqual(Array.from(own.values));
        }
      }
    }

    async function idsOf(t: ConformanceTarget, tenant: Tenant): Promise<string[]> {
      const found = await t.driver.fetch(tenant.scope, IDS, ALL);
      expectOwn(tenant, found);
      return found.map((r) => r.id).sort();
    }

    for (const strategy of STRATEGIES) {
      const runs = options.strategies.includes(strategy);
      const skip = runs ? undefined : `${name} does not run the ${strategy} strategy`;
      describeUnless(skip, `${name}, strategy ${strategy}`)(`strategy ${strategy}`, () => {
        let a: Tenant;
        let b: Tenant;
        let active: ConformanceTarget | undefined;

        beforeAll(() => {
          active = ready();
        });

        beforeEach(async () => {
          if (!active) return;
          const space = (active.spaces ?? DEFAULT_SPACES).primary;
          a = await seeded(active, strategy, space, 'a', 1);
          b = await seeded(active, strategy, space, 'b', 2, (i) => ({ onlyB: `b${i}` }));
          await settle(active);
        });

        afterEach(async () => {
          if (!active) return;
          for (const tenant of [a, b]) await active.driver.erase(tenant.scope);
        });

        /** Runs the body with the target under test. */
        function run(body: (t: ConformanceTarget) => Promise<void>): () => Promise<void> {
          return async () => {
            if (active) await body(active);
          };
        }

        it(
          "fetch returns only the caller's records, with its tenant uid read back",
          run(async (t) => {
            expect(await idsOf(t, a)).toEqual([...IDS]);
            expect(await idsOf(t, b)).toEqual([...IDS]);
            const fromA = await t.driver.fetch(a.scope, ['r0'], ALL);
            expect(fromA).toHaveLength(1);
            expect(fromA[0]!.tenantUid).toBe(a.scope.tenantUid);
            expect(fromA[0]!.metadata).toMatchObject({ owner: 'a', n: 0 });
            expect(Array.from(fromA[0]!.values!)).toEqual(Array.from(a.records[0]!.values));
          }),
        );

        it(
          "search without a filter returns only the caller's records",
          run(async (t) => {
            for (const [self, other] of [
              [a, b],
              [b, a],
            ] as const) {
              const hits = await t.driver.search(self.scope, {
                vector: other.records[0]!.values,
                topK: 100,
                ...ALL,
              });
              expect(hits.map((h) => h.id).sort()).toEqual([...IDS]);
              expectOwn(self, hits);
              for (let i = 1; i < hits.length; i++)
                expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
            }
          }),
        );

        it(
          "search with a filter returns only the caller's matching records",
          run(async (t) => {
            const hits = await t.driver.search(a.scope, {
              vector: b.records[1]!.values,
              topK: 100,
              filter: { op: '$eq', field: 'color', value: 'red' },
              ...ALL,
            });
            expect(hits.map((h) => h.id).sort()).toEqual(['r0', 'r2', 'r4']);
            expectOwn(a, hits);
            for (const hit of hits) expect(hit.metadata!.color).toBe('red');
          }),
        );

        it(
          "a filter on a field only the other tenant's records have matches nothing",
          run(async (t) => {
            for (const filter of [
              { op: '$eq', field: 'onlyB', value: 'b0' },
              { op: '$ne', field: 'onlyB', value: 'zzz' },
              { op: '$nin', field: 'onlyB', values: ['zzz'] },
              { op: '$in', field: 'onlyB', values: ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'] },
            ] as const) {
              const hits = await t.driver.search(a.scope, {
                vector: b.records[0]!.values,
                topK: 100,
                filter,
                ...ALL,
              });
              expect(hits).toEqual([]);
            }
            const own = await t.driver.search(b.scope, {
              vector: b.records[0]!.values,
              topK: 100,
              filter: { op: '$eq', field: 'onlyB', value: 'b0' },
              ...ALL,
            });
            expect(own.map((h) => h.id)).toEqual(['r0']);
            expectOwn(b, own);
            await expect(
              t.driver.delete(a.scope, {
                kind: 'filter',
                filter: { op: '$ne', field: 'onlyB', value: 'zzz' },
              }),
            ).resolves.toEqual({ deleted: 0 });
            await settle(t);
            expect(await t.driver.count(a.scope)).toBe(IDS.length);
            expect(await t.driver.count(b.scope)).toBe(IDS.length);
          }),
        );

        it(
          "count counts only the caller's records",
          run(async (t) => {
            expect(await t.driver.count(a.scope)).toBe(IDS.length);
            expect(await t.driver.count(b.scope)).toBe(IDS.length);
            const more = vectors(3, 4, b.scope.space.dimension).map((values, i) => ({
              id: `extra${i}`,
              values,
              metadata: { owner: 'b' },
            }));
            await t.driver.upsert(b.scope, more);
            await settle(t);
            expect(await t.driver.count(a.scope)).toBe(IDS.length);
            expect(await t.driver.count(b.scope)).toBe(IDS.length + 4);
          }),
        );

        it(
          "an upsert with the other tenant's ids never overwrites its records",
          run(async (t) => {
            const replaced = vectors(4, IDS.length, a.scope.space.dimension);
            await t.driver.upsert(
              a.scope,
              IDS.map((id, i) => ({ id, values: replaced[i]!, metadata: { owner: 'a', v: 2 } })),
            );
            await settle(t);
            expect(await idsOf(t, b)).toEqual([...IDS]);
            const fromB = await t.driver.fetch(b.scope, IDS, ALL);
            for (const record of fromB) expect(record.metadata!.v).toBeUndefined();
            const fromA = await t.driver.fetch(a.scope, ['r3'], ALL);
            expect(fromA[0]!.metadata).toEqual({ owner: 'a', v: 2 });
            expect(Array.from(fromA[0]!.values!)).toEqual(Array.from(replaced[3]!));
          }),
        );

        it(
          "a delete by ids never touches the other tenant's records",
          run(async (t) => {
            await expect(
              t.driver.delete(a.scope, { kind: 'ids', ids: ['r0', 'r1'] }),
            ).resolves.toEqual({ deleted: 2 });
            await settle(t);
            expect(await t.driver.count(a.scope)).toBe(IDS.length - 2);
            expect(await idsOf(t, a)).toEqual(['r2', 'r3', 'r4', 'r5']);
            expect(await t.driver.count(b.scope)).toBe(IDS.length);
            expect(await idsOf(t, b)).toEqual([...IDS]);
          }),
        );

        it(
          "a delete by filter never touches the other tenant's records",
          run(async (t) => {
            await expect(
              t.driver.delete(a.scope, {
                kind: 'filter',
                filter: { op: '$eq', field: 'color', value: 'red' },
              }),
            ).resolves.toEqual({ deleted: 3 });
            await settle(t);
            expect(await idsOf(t, a)).toEqual(['r1', 'r3', 'r5']);
            expect(await idsOf(t, b)).toEqual([...IDS]);
            const redB = await t.driver.search(b.scope, {
              vector: b.records[0]!.values,
              topK: 100,
              filter: { op: '$eq', field: 'color', value: 'red' },
              ...ALL,
            });
            expect(redB.map((h) => h.id).sort()).toEqual(['r0', 'r2', 'r4']);
            expectOwn(b, redB);
          }),
        );

        it(
          "a delete of everything never touches the other tenant's records",
          run(async (t) => {
            await expect(t.driver.delete(a.scope, { kind: 'all' })).resolves.toEqual({
              deleted: IDS.length,
            });
            await settle(t);
            expect(await t.driver.count(a.scope)).toBe(0);
            expect(await t.driver.fetch(a.scope, IDS, ALL)).toEqual([]);
            expect(
              await t.driver.search(a.scope, { vector: b.records[0]!.values, topK: 10, ...ALL }),
            ).toEqual([]);
            expect(await t.driver.count(b.scope)).toBe(IDS.length);
            expect(await idsOf(t, b)).toEqual([...IDS]);
          }),
        );

        it(
          "erasing a tenant leaves none of its records and the other tenant's intact",
          run(async (t) => {
            const report = await t.driver.erase(a.scope);
            expect(report.places.length).toBeGreaterThan(0);
            for (const place of report.places) expect(place.remaining).toBe(0);
            await settle(t);
            // An erased tenant's place may be gone: reads then fail closed, never answer more.
            expect(await failClosed(() => t.driver.count(a.scope), 0)).toBe(0);
            expect(await failClosed(() => t.driver.fetch(a.scope, IDS, ALL), [])).toEqual([]);
            expect(
              await failClosed(
                () => t.driver.search(a.scope, { vector: a.records[0]!.values, topK: 10, ...ALL }),
                [],
              ),
            ).toEqual([]);
            expect(await t.driver.count(b.scope)).toBe(IDS.length);
            expect(await idsOf(t, b)).toEqual([...IDS]);
            const hits = await t.driver.search(b.scope, {
              vector: a.records[0]!.values,
              topK: 100,
              ...ALL,
            });
            expect(hits.map((h) => h.id).sort()).toEqual([...IDS]);
            expectOwn(b, hits);
          }),
        );

        // Inside a skipped strategy the block is skipped already; say why only once.
        const namespaceSkip =
          runs && !options.namespaces ? `${name} does not store namespaces yet` : undefined;
        describeUnless(namespaceSkip, `namespace cases of ${name}, strategy ${strategy}`)(
          'namespaces',
          () => {
            function inNamespace(scope: TenantScope, namespace: string): TenantScope {
              const { tenantId, tenantUid, placement, space } = scope;
              return makeTenantScope({ tenantId, tenantUid, placement, space, namespace });
            }

            function expectIn(scope: TenantScope, found: readonly StoredRecord[]): void {
              for (const record of found) {
                expect(record.tenantUid).toBe(scope.tenantUid);
                expect(record.namespace).toBe(scope.namespace);
              }
            }

            it(
              "the same id in two namespaces of one tenant is two records, and another tenant's namespace of that name holds neither",
              run(async (t) => {
                const [mine, theirs] = vectors(7, 2, a.scope.space.dimension);
                const aDocs = inNamespace(a.scope, 'docs');
                const bDocs = inNamespace(b.scope, 'docs');
                await t.driver.upsert(aDocs, [
                  { id: 'r0', values: mine!, metadata: { owner: 'a', ns: 'docs' } },
                ]);
                await t.driver.upsert(bDocs, [
                  { id: 'r0', values: theirs!, metadata: { owner: 'b', ns: 'docs' } },
                ]);
                await settle(t);

                const inDocs = await t.driver.fetch(aDocs, ['r0'], ALL);
                expect(inDocs).toHaveLength(1);
                expectIn(aDocs, inDocs);
                expect(Array.from(inDocs[0]!.values!)).toEqual(Array.from(mine!));
                expect(inDocs[0]!.metadata).toEqual({ owner: 'a', ns: 'docs' });

                const inDefault = await t.driver.fetch(a.scope, ['r0'], ALL);
                expectIn(a.scope, inDefault);
                expect(Array.from(inDefault[0]!.values!)).toEqual(Array.from(a.records[0]!.values));
                expect(inDefault[0]!.metadata!.ns).toBeUndefined();

                const bInDocs = await t.driver.fetch(bDocs, ['r0'], ALL);
                expectIn(bDocs, bInDocs);
                expect(Array.from(bInDocs[0]!.values!)).toEqual(Array.from(theirs!));

                expect(await t.driver.count(aDocs)).toBe(1);
                expect(await t.driver.count(a.scope)).toBe(IDS.length);
                expect(await t.driver.count(bDocs)).toBe(1);

                const hits = await t.driver.search(aDocs, { vector: theirs!, topK: 100, ...ALL });
                expect(hits.map((h) => h.id)).toEqual(['r0']);
                expectIn(aDocs, hits);
                expect(Array.from(hits[0]!.values!)).toEqual(Array.from(mine!));

                const filtered = await t.driver.search(aDocs, {
                  vector: mine!,
                  topK: 100,
                  filter: { op: '$eq', field: 'owner', value: 'a' },
                  ...ALL,
                });
                expect(filtered.map((h) => h.id)).toEqual(['r0']);
                expectIn(aDocs, filtered);

                const outside = await t.driver.search(a.scope, {
                  vector: mine!,
                  topK: 100,
                  ...ALL,
                });
                expect(outside.map((h) => h.id).sort()).toEqual([...IDS]);
                expectIn(a.scope, outside);
                for (const hit of outside) expect(hit.metadata!.ns).toBeUndefined();
              }),
            );

            it(
              "deleting in one namespace leaves the tenant's other namespaces and the other tenant",
              run(async (t) => {
                const aDocs = inNamespace(a.scope, 'docs');
                const aNotes = inNamespace(a.scope, 'notes');
                const bDocs = inNamespace(b.scope, 'docs');
                const values = vectors(8, 4, a.scope.space.dimension);
                await t.driver.upsert(aDocs, [
                  { id: 'r0', values: values[0]!, metadata: { owner: 'a', color: 'red' } },
                  { id: 'r1', values: values[1]!, metadata: { owner: 'a', color: 'blue' } },
                  { id: 'x', values: values[2]!, metadata: { owner: 'a', color: 'red' } },
                ]);
                await t.driver.upsert(aNotes, [{ id: 'r0', values: values[3]!, metadata: {} }]);
                await t.driver.upsert(bDocs, [{ id: 'r0', values: values[0]!, metadata: {} }]);
                await settle(t);

                await expect(t.driver.delete(aDocs, { kind: 'ids', ids: ['r1'] })).resolves.toEqual(
                  {
                    deleted: 1,
                  },
                );
                await expect(
                  t.driver.delete(aDocs, {
                    kind: 'filter',
                    filter: { op: '$eq', field: 'color', value: 'red' },
                  }),
                ).resolves.toEqual({ deleted: 2 });
                await settle(t);
                expect(await t.driver.count(aDocs)).toBe(0);
                expect(await idsOf(t, a)).toEqual([...IDS]);

                await t.driver.upsert(aDocs, [{ id: 'y', values: values[1]!, metadata: {} }]);
                await settle(t);
                await expect(t.driver.delete(aDocs, { kind: 'all' })).resolves.toEqual({
                  deleted: 1,
                });
                await settle(t);
                expect(await t.driver.count(aDocs)).toBe(0);
                expect(await t.driver.fetch(aDocs, ['r0', 'r1', 'x', 'y'], ALL)).toEqual([]);
                expect(await t.driver.count(aNotes)).toBe(1);
                expect(await t.driver.count(a.scope)).toBe(IDS.length);
                expect(await t.driver.count(bDocs)).toBe(1);
                expect(await idsOf(t, b)).toEqual([...IDS]);
              }),
            );

            it(
              "a namespace named like another tenant's id, uid or places reaches nothing",
              run(async (t) => {
                const bDocs = inNamespace(b.scope, 'docs');
                await t.driver.upsert(bDocs, [
                  { id: 'r0', values: b.records[0]!.values, metadata: { owner: 'b' } },
                ]);
                await settle(t);
                const names = [
                  b.scope.tenantUid,
                  b.scope.tenantId,
                  'docs',
                  ...Object.values(b.scope.placement.location).filter((v) =>
                    /^[\w.:-]{1,64}$/.test(v),
                  ),
                ];
                for (const namespace of names) {
                  const probe = inNamespace(a.scope, namespace);
                  expect(await t.driver.fetch(probe, IDS, ALL)).toEqual([]);
                  expect(
                    await t.driver.search(probe, {
                      vector: b.records[0]!.values,
                      topK: 100,
                      ...ALL,
                    }),
                  ).toEqual([]);
                  expect(await t.driver.count(probe)).toBe(0);
                  await expect(t.driver.delete(probe, { kind: 'all' })).resolves.toEqual({
                    deleted: 0,
                  });
                }
                await settle(t);
                expect(await t.driver.count(b.scope)).toBe(IDS.length);
                expect(await t.driver.count(bDocs)).toBe(1);
              }),
            );

            it(
              "erasing a tenant removes every one of its namespaces and no other tenant's",
              run(async (t) => {
                const aDocs = inNamespace(a.scope, 'docs');
                const bDocs = inNamespace(b.scope, 'docs');
                await t.driver.upsert(aDocs, [
                  { id: 'r0', values: a.records[0]!.values, metadata: { owner: 'a' } },
                ]);
                await t.driver.upsert(bDocs, [
                  { id: 'r0', values: b.records[0]!.values, metadata: { owner: 'b' } },
                ]);
                await settle(t);
                const report = await t.driver.erase(a.scope);
                for (const place of report.places) expect(place.remaining).toBe(0);
                await settle(t);
                expect(await failClosed(() => t.driver.count(aDocs), 0)).toBe(0);
                expect(await failClosed(() => t.driver.fetch(aDocs, ['r0'], ALL), [])).toEqual([]);
                expect(await t.driver.count(bDocs)).toBe(1);
                expect(await t.driver.count(b.scope)).toBe(IDS.length);
              }),
            );
          },
        );

        describeListCases({
          driver: () => active?.driver,
          tenants: () => ({ a: a.scope, b: b.scope }),
          seededIds: IDS,
          settle: () => (active ? settle(active) : Promise.resolve()),
          ascendingIds: (options.listOrder ?? 'ascending_id') === 'ascending_id',
        });
      });
    }

    const spacesRun = options.strategies.includes('partition_key');
    describeUnless(
      spacesRun ? undefined : `${name} does not run the partition_key strategy`,
      `vector spaces of ${name}`,
    )('vector spaces', () => {
      let active: ConformanceTarget | undefined;

      beforeAll(() => {
        active = ready();
      });

      it('tenants of different dimensions both work on partition_key', async () => {
        const t = active;
        if (!t) return;
        const spaces = t.spaces ?? DEFAULT_SPACES;
        expect(spaces.other.dimension).not.toBe(spaces.primary.dimension);
        const c = await seeded(t, 'partition_key', spaces.primary, 'c', 5);
        const d = await seeded(t, 'partition_key', spaces.other, 'd', 6);
        try {
          await settle(t);
          for (const [self, other] of [
            [c, d],
            [d, c],
          ] as const) {
            expect(await t.driver.count(self.scope)).toBe(IDS.length);
            expect(await idsOf(t, self)).toEqual([...IDS]);
            const hits = await t.driver.search(self.scope, {
              vector: self.records[2]!.values,
              topK: 100,
              ...ALL,
            });
            expect(hits.map((h) => h.id).sort()).toEqual([...IDS]);
            expect(hits[0]!.id).toBe('r2');
            expectOwn(self, hits);
            expect(hits[0]!.values).toHaveLength(self.scope.space.dimension);
            expect(other.scope.space.dimension).not.toBe(self.scope.space.dimension);
          }
        } finally {
          await t.driver.erase(c.scope);
          await t.driver.erase(d.scope);
        }
      });
    });
  });
}
