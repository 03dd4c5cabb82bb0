import { LIST_SCAN_ROWS, listCursor, ListResult, TenantScope } from '@vecgate/isolation';
import { QdrantBackend } from '@vecgate/isolation/backends/qdrant';
import { scopeOn, stubOptions } from './fixtures';
import { QdrantStub } from './stub';

/**
 * Listing on the wire, through the real client against the stub: scroll pages carry the scope
 * conditions and Qdrant's `offset`; a prefix is chosen from a bounded scan of stored ids.
 */

const KEY = 'wire-test-qdrant-list-key';
const BARE = { includeValues: false, includeMetadata: false } as const;

let stub: QdrantStub;
let backend: QdrantBackend;
let scope: TenantScope;

beforeAll(async () => {
  stub = await QdrantStub.start({ distributed: true, apiKey: KEY });
  backend = new QdrantBackend(stubOptions(stub.url, { apiKey: KEY }));
  scope = scopeOn(backend, 'partition_key', 8, 'dot');
  await backend.provision(scope);
});

afterAll(async () => {
  await backend.close();
  await stub.close();
});

async function walk(page: { limit: number; prefix?: string }): Promise<ListResult[]> {
  const pages: ListResult[] = [];
  let cursor: string | undefined;
  do {
    const result = await backend.list(scope, { ...page, cursor, ...BARE });
    pages.push(result);
    cursor = result.next;
  } while (cursor !== undefined && pages.length < 100);
  return pages;
}

it('a prefix few ids share scans at most LIST_SCAN_ROWS points per page: short pages with next', async () => {
  const total = LIST_SCAN_ROWS * 2 + 100;
  const ids = Array.from({ length: total }, (_, i) => (i % 1500 === 7 ? `rare-${i}` : `c-${i}`));
  for (let at = 0; at < total; at += 1000) {
    await backend.upsert(
      scope,
      ids.slice(at, at + 1000).map((id, k) => ({
        id,
        values: Float32Array.from({ length: 8 }, (_, d) => (d === 0 ? at + k + 1 : 0)),
      })),
    );
  }
  stub.take();
  const pages = await walk({ limit: 10, prefix: 'rare-' });
  const scrolls = stub.take().filter((r) => r.path.endsWith('/points/scroll'));
  for (const request of scrolls) {
    expect((request.body as { limit: number }).limit).toBeLessThanOrEqual(LIST_SCAN_ROWS);
  }
  expect(pages.flatMap((p) => p.records.map((r) => r.id)).sort()).toEqual(
    ids.filter((id) => id.startsWith('rare-')).sort(),
  );
  expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(total / LIST_SCAN_ROWS));
  expect(pages.some((p) => p.records.length < 10 && p.next !== undefined)).toBe(true);
});

it('a cursor of this scope whose position is not a point id is a 400 naming cursor', async () => {
  for (const position of ['"not-a-uuid"', '-1', '1.5', '{}', 'x']) {
    await expect(
      backend.list(scope, { limit: 1, cursor: listCursor(scope, position), ...BARE }),
    ).rejects.toMatchObject({ status: 400, extras: { field: 'cursor' } });
  }
});
