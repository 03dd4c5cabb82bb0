import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { QdrantVectorStore } from '@langchain/qdrant';
import {
  QdrantGateway,
  quietInsecureKeyWarning,
  startQdrantGateway,
} from '../../dialects/qdrant-support';

const DIMENSION = 16;
const installed = existsSync(join(__dirname, 'node_modules', '@langchain', 'qdrant'));
if (!installed)
  console.warn(
    'LangChain QdrantVectorStore suite skipped: run `npm ci` in test/clients/langchain-qdrant',
  );
const describeInstalled = installed ? describe : describe.skip;

/** LangChain's own classes, loaded only when the fixture is installed. */
function langchain() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { QdrantVectorStore: Store } =
    require('@langchain/qdrant') as typeof import('@langchain/qdrant');
  const { WordEmbeddings } = require('./word-embeddings') as typeof import('./word-embeddings');
  const { QdrantClient } =
    require('@qdrant/js-client-rest') as typeof import('@qdrant/js-client-rest');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { Store, QdrantClient, embeddings: new WordEmbeddings(DIMENSION) };
}

/** The point id (a UUID, as Qdrant takes) of the n-th document. */
const idOf = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const numberOf = (d: { metadata: Record<string, unknown> }): unknown => d.metadata.n;

const DOCS = [
  { pageContent: 'red apples grow on trees', metadata: { source: 'fruit', n: 1 } },
  { pageContent: 'red apples and green apples', metadata: { source: 'fruit', n: 2 } },
  { pageContent: 'red cars drive fast on roads', metadata: { source: 'cars', n: 3 } },
  { pageContent: 'blue oceans hold many fish', metadata: { source: 'sea', n: 4 } },
];

describeInstalled('LangChain QdrantVectorStore against the Qdrant API', () => {
  let q: QdrantGateway;
  let acmeKey: string;
  let globexKey: string;
  const store = (key: string, requestId?: string): QdrantVectorStore => {
    const { Store, QdrantClient, embeddings } = langchain();
    // Only url and apiKey, as LangChain users configure it; a client of the fixture's own
    // version tags the requests of one test with an id for the audit trail.
    const client = requestId
      ? new QdrantClient({
          url: q.url,
          apiKey: key,
          checkCompatibility: false,
          headers: { 'x-request-id': requestId },
        })
      : undefined;
    return new Store(embeddings, {
      url: q.url,
      apiKey: key,
      collectionName: 'notes',
      ...(client ? { client } : {}),
    });
  };

  beforeAll(async () => {
    quietInsecureKeyWarning();
    q = await startQdrantGateway({
      acme: { dimension: DIMENSION, metric: 'cosine' },
      globex: { dimension: DIMENSION, metric: 'cosine' },
    });
    // Ordinary writer keys: creating a collection of the tenant's own dimension is a writer's right.
    acmeKey = await q.apiKey('acme', ['reader', 'writer']);
    globexKey = await q.apiKey('globex', ['reader', 'writer']);
    await store(acmeKey).addDocuments(DOCS, { ids: DOCS.map((_, i) => idOf(i + 1)) });
    await store(globexKey).addDocuments([
      { pageContent: 'red apples of globex', metadata: { source: 'fruit', n: 9 } },
    ]);
  });
  afterAll(() => q?.close());

  it('creates the collection on first use and finds documents by similarity', async () => {
    const found = await store(acmeKey).similaritySearchWithScore('red apples', 2);
    expect(found.map(([d]) => d.pageContent)).toEqual([
      'red apples and green apples',
      'red apples grow on trees',
    ]);
    expect(found[0]?.[1]).toBeGreaterThan(found[1]?.[1] ?? 1);
    expect(found[0]?.[0].metadata).toEqual({ source: 'fruit', n: 2 });
  });

  it('filters on metadata.source, as LangChain addresses nested metadata', async () => {
    const found = await store(acmeKey).similaritySearch('red', 4, {
      must: [{ key: 'metadata.source', match: { value: 'cars' } }],
    });
    expect(found.map((d) => d.metadata)).toEqual([{ source: 'cars', n: 3 }]);
  });

  it('answers maximal marginal relevance searches with diverse documents', async () => {
    const plain = await store(acmeKey).similaritySearch('red apples', 2);
    const diverse = await store(acmeKey).maxMarginalRelevanceSearch('red apples', {
      k: 2,
      fetchK: 4,
      lambda: 0.9,
    });
    expect(plain.map(numberOf)).toEqual([2, 1]);
    expect(diverse).toHaveLength(2);
    expect(diverse[0] && numberOf(diverse[0])).toBe(2);
    expect(diverse[1] && numberOf(diverse[1])).not.toBe(1);
  });

  it('never shows one tenant’s documents to another using the same collection name', async () => {
    const theirs = await store(globexKey).similaritySearch('red apples', 10);
    expect(theirs.map((d) => d.pageContent)).toEqual(['red apples of globex']);
    const ours = await store(acmeKey).similaritySearch('globex', 10);
    expect(ours.map((d) => d.pageContent)).not.toContain('red apples of globex');
  });

  it('deletes by id and by filter', async () => {
    const s = store(acmeKey);
    await s.delete({ ids: [idOf(1)] });
    await s.delete({ filter: { must: [{ key: 'metadata.source', match: { value: 'sea' } }] } });
    const left = await s.similaritySearch('red apples blue oceans', 10);
    expect(left.map(numberOf).sort()).toEqual([2, 3]);
    expect((await store(globexKey).similaritySearch('red', 10)).length).toBe(1);
  });

  it('works with a writer-only key: it lists, creates and writes its collection', async () => {
    const writerOnly = await q.apiKey('acme', ['writer']);
    const { Store, embeddings } = langchain();
    const s = new Store(embeddings, { url: q.url, apiKey: writerOnly, collectionName: 'drafts' });
    await s.addDocuments([{ pageContent: 'a draft', metadata: { source: 'draft' } }]);
    const reader = new Store(embeddings, { url: q.url, apiKey: acmeKey, collectionName: 'drafts' });
    expect((await reader.similaritySearch('draft', 1)).map((d) => d.pageContent)).toEqual([
      'a draft',
    ]);
    // Searching stays a reader's right.
    await expect(s.similaritySearch('draft', 1)).rejects.toMatchObject({ status: 403 });
  });

  it('audits each call LangChain makes as a qdrant.<call> event', async () => {
    const requestId = randomUUID();
    await store(acmeKey, requestId).similaritySearch('red', 1);
    const events = await q.audit(requestId);
    expect(events.map((e) => `${e.action} ${e.status}`).sort()).toEqual([
      'qdrant.get_collections 200',
      'qdrant.query_points 200',
    ]);
  });
});
