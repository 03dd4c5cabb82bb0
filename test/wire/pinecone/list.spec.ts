import { LIST_SCAN_ROWS, ListResult, TenantScope, VectorWrite } from '@vecgate/isolation';
import { Backends, createTenant, startStub, stubOptions } from './fixtures';
import { PineconeStub } from './stub';

/**
 * Listing on the wire, through the real client against the stub: Pinecone's id listing in the
 * scope's own Pinecone namespace, then a fetch of the listed ids.
 */

const NONE = { includeValues: false, includeMetadata: false } as const;
const SPACE = { dimension: 4, metric: 'cosine' } as const;
const idOf = (i: number): string => `p${String(i).padStart(4, '0')}`;

let stub: PineconeStub;
const backends = new Backends();

beforeAll(async () => {
  stub = await startStub();
});

afterEach(async () => {
  stub.override = undefined;
  await backends.closeAll();
});

afterAll(async () => {
  await stub.close();
});

function records(count: number, tagOf: (i: number) => string = () => 'common'): VectorWrite[] {
  return Array.from({ length: count }, (_, i) => ({
    id: idOf(i),
    values: Float32Array.from([1, i + 1, 0, 0]),
    metadata: { tag: tagOf(i) },
  }));
}

async function walk(
  backend: ReturnType<Backends['make']>,
  scope: TenantScope,
  page: Omit<Parameters<typeof backend.list>[1], 'cursor'>,
): Promise<ListResult[]> {
  const pages: ListResult[] = [];
  let cursor: string | undefined;
  do {
    const result = await backend.list(scope, { ...page, cursor });
    pages.push(result);
    cursor = result.next;
  } while (cursor !== undefined && pages.length < 200);
  return pages;
}

it("lists by prefix in the tenant's own Pinecone namespace, 100 ids per request at most", async () => {
  const backend = backends.make(stubOptions(stub));
  const scope = await createTenant(backend, 'namespace', SPACE);
  await backend.upsert(scope, records(250));
  stub.requests.length = 0;
  const pages = await walk(backend, scope, { limit: 150, prefix: 'p0', ...NONE });
  expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(
    Array.from({ length: 250 }, (_, i) => idOf(i)),
  );
  expect(pages.map((p) => p.records.length)).toEqual([150, 100]);
  const lists = stub.requests.filter((r) => r.path === '/vectors/list');
  const fetches = stub.requests.filter((r) => r.path === '/vectors/fetch');
  const namespace = fetches[0]!.query.get('namespace');
  expect(namespace).toMatch(new RegExp(`^vg-${scope.tenantUid}`));
  for (const r of lists) {
    expect(r.query.get('namespace')).toBe(namespace);
    expect(r.query.get('prefix')).toBe('p0');
    expect(Number(r.query.get('limit'))).toBeLessThanOrEqual(100);
  }
});

it('a record deleted between the listing and the fetch is left out, and the walk goes on', async () => {
  const backend = backends.make(stubOptions(stub));
  const scope = await createTenant(backend, 'namespace', SPACE);
  await backend.upsert(scope, records(5));
  let removed = false;
  stub.override = (r) => {
    if (r.path === '/vectors/fetch' && !removed) {
      removed = true;
      for (const index of stub.indexes.values())
        index.space(r.query.get('namespace') ?? '', false)?.delete(idOf(1));
    }
    return undefined;
  };
  const pages = await walk(backend, scope, { limit: 2, ...NONE });
  expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual([
    idOf(0),
    idOf(2),
    idOf(3),
    idOf(4),
  ]);
  for (const record of pages.flatMap((p) => p.records)) {
    expect(record).toMatchObject({ tenantUid: scope.tenantUid, namespace: '' });
  }
});

it('a selective filter examines at most LIST_SCAN_ROWS ids per page: short pages carry next', async () => {
  const backend = backends.make(stubOptions(stub));
  const scope = await createTenant(backend, 'namespace', SPACE);
  const total = LIST_SCAN_ROWS * 2 + 100;
  const rare = new Set([5, LIST_SCAN_ROWS * 2 + 50]);
  const all = records(total, (i) => (rare.has(i) ? 'rare' : 'common'));
  for (let at = 0; at < total; at += 1000) await backend.upsert(scope, all.slice(at, at + 1000));
  stub.requests.length = 0;
  const filter = { op: '$eq', field: 'tag', value: 'rare' } as const;
  const pages = await walk(backend, scope, {
    limit: 10,
    filter,
    includeValues: false,
    includeMetadata: true,
  });
  expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual([...rare].map(idOf));
  for (const record of pages.flatMap((p) => p.records))
    expect(record.metadata).toEqual({ tag: 'rare' });
  expect(pages.length).toBe(Math.ceil(total / LIST_SCAN_ROWS));
  expect(pages[1]).toMatchObject({ records: [], next: expect.any(String) });
  const lists = stub.requests.filter((r) => r.path === '/vectors/list');
  expect(lists.length).toBeLessThanOrEqual(Math.ceil(total / 100) + pages.length);
});
