import { embeddedSandbox, provisionedTenant } from '../../../../../test/support/embedded-sandbox';
import { rng } from '../../../../../test/support/rng';
import { BadRequestError } from '../../../../core/src/errors/vecgate.error';
import { makeTenantScope, TenantScope, VectorSpace, VectorWrite } from '../../ports/vector.types';
import { EmbeddedBackend } from './embedded.backend';

const STRATEGIES = ['database', 'collection', 'partition_key'] as const;
const space: VectorSpace = { dimension: 6, metric: 'euclidean' };
const ALL = { includeValues: true, includeMetadata: true } as const;

function rows(seed: number, count: number, tag: string): VectorWrite[] {
  const next = rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `r${i}`,
    values: Float32Array.from({ length: space.dimension }, () => next() * 2 - 1),
    metadata: { tag, i },
  }));
}

function inNamespace(scope: TenantScope, namespace: string): TenantScope {
  const { tenantId, tenantUid, placement } = scope;
  return makeTenantScope({ tenantId, tenantUid, placement, space: scope.space, namespace });
}

describe.each(STRATEGIES)('EmbeddedBackend namespaces, strategy %s', (strategy) => {
  const sandbox = embeddedSandbox('vg-namespaces-');
  let backend: EmbeddedBackend;
  let home: TenantScope;
  let docs: TenantScope;

  beforeEach(async () => {
    backend = sandbox.open({ workers: 1 });
    home = await provisionedTenant(backend, strategy, space);
    docs = inNamespace(home, 'docs');
  });

  it("searches only its namespace's rows, with a matrix of its own kept exact by writes", async () => {
    const homeRows = rows(1, 30, 'home');
    const docRows = rows(2, 4, 'docs');
    await backend.upsert(home, homeRows);
    await backend.upsert(docs, docRows);
    // Both matrices loaded.
    expect(
      await backend.search(home, { vector: homeRows[0]!.values, topK: 100, ...ALL }),
    ).toHaveLength(30);
    const found = await backend.search(docs, { vector: homeRows[0]!.values, topK: 100, ...ALL });
    expect(found.map((h) => h.id).sort()).toEqual(['r0', 'r1', 'r2', 'r3']);
    for (const hit of found) {
      expect(hit).toMatchObject({
        tenantUid: home.tenantUid,
        namespace: 'docs',
        metadata: { tag: 'docs' },
      });
    }

    // A write to one namespace reaches that namespace's matrix only.
    const moved = new Float32Array(space.dimension).fill(0.5);
    await backend.upsert(docs, [{ id: 'r0', values: moved, metadata: { tag: 'moved' } }]);
    const [top] = await backend.search(docs, { vector: moved, topK: 1, ...ALL });
    expect(top).toMatchObject({ id: 'r0', namespace: 'docs', metadata: { tag: 'moved' } });
    expect(top!.score).toBeCloseTo(0, 5);
    const [homeTop] = await backend.search(home, { vector: homeRows[0]!.values, topK: 1, ...ALL });
    expect(homeTop).toMatchObject({ id: 'r0', namespace: '', metadata: { tag: 'home', i: 0 } });
    expect(Array.from(homeTop!.values!)).toEqual(Array.from(homeRows[0]!.values));

    // Counts come from the loaded matrices, one namespace each.
    expect(await backend.count(home)).toBe(30);
    expect(await backend.count(docs)).toBe(4);
  });

  it('deletes by filter and of everything inside one namespace, leaving the loaded others exact', async () => {
    await backend.upsert(home, rows(3, 20, 'home'));
    await backend.upsert(docs, rows(4, 20, 'docs'));
    const notes = inNamespace(home, 'notes');
    await backend.upsert(notes, rows(5, 20, 'notes'));
    for (const scope of [home, docs, notes])
      await backend.search(scope, { vector: new Float32Array(space.dimension), topK: 1, ...ALL });

    // `i` exists in every namespace: the filter is applied inside docs only.
    await expect(
      backend.delete(docs, { kind: 'filter', filter: { op: '$lt', field: 'i', value: 5 } }),
    ).resolves.toEqual({ deleted: 5 });
    await expect(backend.delete(notes, { kind: 'all' })).resolves.toEqual({ deleted: 20 });
    expect(await backend.count(home)).toBe(20);
    expect(await backend.count(docs)).toBe(15);
    expect(await backend.count(notes)).toBe(0);
    const everything = { vector: new Float32Array(space.dimension), topK: 100, ...ALL };
    expect(await backend.search(home, everything)).toHaveLength(20);
    const left = await backend.search(docs, everything);
    expect(left.map((h) => h.metadata!.i as number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 15 }, (_, i) => i + 5),
    );
    expect(await backend.search(notes, everything)).toEqual([]);
  });

  it('erasure drops the matrices and rows of every namespace, without being told their names', async () => {
    const names = ['', 'docs', 'a.b:c@d-e_f', 'x'.repeat(64)];
    for (const [n, name] of names.entries()) {
      const scope = inNamespace(home, name);
      await backend.upsert(scope, rows(10 + n, 5, name));
      await backend.search(scope, { vector: new Float32Array(space.dimension), topK: 1, ...ALL });
    }
    const neighbour = await provisionedTenant(backend, strategy, space, { namespace: 'docs' });
    await backend.upsert(neighbour, rows(20, 5, 'neighbour'));
    expect(await backend.isCached(home.tenantUid)).toBe(true);

    const report = await backend.erase(docs);
    for (const place of report.places) expect(place.remaining).toBe(0);
    expect(await backend.isCached(home.tenantUid)).toBe(false);
    if (strategy === 'partition_key') {
      for (const name of names) expect(await backend.count(inNamespace(home, name))).toBe(0);
    }
    expect(await backend.count(neighbour)).toBe(5);
  });

  it('refuses a namespace outside the documented names with 400 before any work', async () => {
    await backend.upsert(home, rows(30, 3, 'home'));
    const refused = [
      '_vg',
      '__default__',
      '../docs',
      'a/b',
      'x'.repeat(65),
      'white space',
      '-x',
      'é',
    ];
    for (const name of refused) {
      const scope = inNamespace(home, name);
      const calls = [
        () => backend.upsert(scope, rows(31, 1, 'bad')),
        () => backend.fetch(scope, ['r0'], ALL),
        () => backend.search(scope, { vector: new Float32Array(space.dimension), topK: 3, ...ALL }),
        () => backend.count(scope),
        () => backend.delete(scope, { kind: 'all' }),
      ];
      for (const call of calls) {
        const error = await call().then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(BadRequestError);
        expect(error).toMatchObject({ status: 400, extras: { field: 'namespace' } });
      }
    }
    expect(await backend.count(home)).toBe(3);
  });
});
