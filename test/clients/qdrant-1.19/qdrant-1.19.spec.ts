import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { QdrantClient } from '@qdrant/js-client-rest';
import {
  QdrantGateway,
  quietInsecureKeyWarning,
  refusal,
  startQdrantGateway,
} from '../../dialects/qdrant-support';

const major = Number(process.versions.node.split('.')[0]);
const installed = existsSync(join(__dirname, 'node_modules', '@qdrant', 'js-client-rest'));
const reason =
  major < 22
    ? `the Qdrant JS client 1.19 needs Node >= 22 (this is ${process.versions.node})`
    : !installed
      ? 'run `npm ci` in test/clients/qdrant-1.19'
      : undefined;
if (reason) console.warn(`Qdrant client 1.19 suite skipped: ${reason}`);
const describeRunnable = reason ? describe.skip : describe;

describeRunnable('Qdrant API with the Qdrant JS client 1.19 (points/search removed)', () => {
  let q: QdrantGateway;
  const client = (key: string, requestId = randomUUID()): QdrantClient => {
    const { QdrantClient: Client } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@qdrant/js-client-rest') as typeof import('@qdrant/js-client-rest');
    return new Client({ url: q.url, apiKey: key, headers: { 'x-request-id': requestId } });
  };
  let acme: QdrantClient;
  let globex: QdrantClient;

  beforeAll(async () => {
    quietInsecureKeyWarning();
    q = await startQdrantGateway({
      acme: { dimension: 3, metric: 'dot' },
      globex: { dimension: 3, metric: 'dot' },
    });
    acme = client(await q.apiKey('acme', ['reader', 'writer']));
    globex = client(await q.apiKey('globex', ['reader', 'writer']));
    for (const c of [acme, globex]) {
      await c.createCollection('docs', { vectors: { size: 3, distance: 'Dot' } });
    }
    await acme.upsert('docs', {
      wait: true,
      batch: {
        ids: [1, 2],
        vectors: [
          [1, 0, 0],
          [0, 1, 0],
        ],
        payloads: [{ tag: 'x' }, { tag: 'y' }],
      },
    });
    await globex.upsert('docs', { points: [{ id: 1, vector: [1, 0, 0], payload: { tag: 'g' } }] });
  });
  afterAll(() => q?.close());

  it('writes, queries with a filter, retrieves, scrolls, counts and deletes', async () => {
    const { points } = await acme.query('docs', {
      query: [1, 0.5, 0],
      filter: { must: [{ key: 'tag', match: { value: 'y' } }] },
      with_payload: true,
    });
    expect(points).toEqual([
      { id: 2, version: 0, score: 0.5, payload: { tag: 'y' }, vector: null },
    ]);
    expect(await acme.retrieve('docs', { ids: [1] })).toEqual([
      { id: 1, payload: { tag: 'x' }, vector: null },
    ]);
    expect((await acme.scroll('docs', {})).points.map((p) => p.id)).toEqual([1, 2]);
    await acme.delete('docs', { points: [1] });
    expect(await acme.count('docs', {})).toEqual({ count: 1 });
    expect(await globex.count('docs', {})).toEqual({ count: 1 });
  });

  it('refuses a cross-tenant filter with 400 and is not retried', async () => {
    const before = q.requests();
    const refused = await refusal(
      acme.query('docs', {
        query: [1, 0, 0],
        filter: { must: [{ key: '_vg_tenant', match: { value: 'globex' } }] },
      }),
    );
    expect([refused.status, q.requests() - before]).toEqual([400, 1]);
  });
});
