import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Document as LangChainDocument } from '@langchain/core/documents';
import type { PineconeStore as Store } from '@langchain/pinecone';
import type { Pinecone as Client } from '@pinecone-database/pinecone';
import {
  auditedAs,
  ListeningGateway,
  startListening,
  tenantWithKey,
} from '../../dialects/pinecone-support';
import { HashedEmbeddings } from './hashed-embeddings';

/** Why this suite cannot run here, or undefined: the fixture must be installed, Node ≥ 20. */
function skipReason(): string | undefined {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) return `Node ${process.versions.node} is older than LangChain's Node 20`;
  const installed = join(__dirname, 'node_modules', '@langchain', 'pinecone', 'package.json');
  if (!existsSync(installed))
    return 'the fixture is not installed (npm ci in test/clients/langchain-pinecone)';
  return undefined;
}

const reason = skipReason();
if (reason) console.warn(`LangChain PineconeStore suite skipped: ${reason}`);
const suite = reason ? describe.skip : describe;

const DIMENSION = 16;
const SPEC = { serverless: { cloud: 'aws' as const, region: 'us-east-1' } };

suite('LangChain PineconeStore and the Pinecone SDK 5 against the Pinecone dialect', () => {
  let lg: ListeningGateway;
  let acme: Client;
  let globex: Client;
  const embeddings = new HashedEmbeddings(DIMENSION);
  // Loaded in beforeAll, once the fixture is known to be installed: a skipped suite's body
  // still runs, and must not require what is missing.
  let Pinecone: typeof import('@pinecone-database/pinecone').Pinecone;
  let PineconeStore: typeof import('@langchain/pinecone').PineconeStore;
  let Document: typeof import('@langchain/core/documents').Document;

  const client = (apiKey: string): Client =>
    new Pinecone({ apiKey, controllerHostUrl: `${lg.base}/pinecone` });
  const storeOf = (pc: Client): Store =>
    new PineconeStore(embeddings, { pineconeIndex: pc.index('kb') });

  beforeAll(async () => {
    ({ Pinecone } = await import('@pinecone-database/pinecone'));
    ({ PineconeStore } = await import('@langchain/pinecone'));
    ({ Document } = await import('@langchain/core/documents'));
    lg = await startListening();
    const tenant = (id: string) => ({ id, dimension: DIMENSION, metric: 'cosine' });
    acme = client(await tenantWithKey(lg.gw, tenant('acme')));
    globex = client(await tenantWithKey(lg.gw, tenant('globex')));
    for (const pc of [acme, globex])
      await pc.createIndex({ name: 'kb', dimension: DIMENSION, metric: 'cosine', spec: SPEC });
  }, 60_000);

  afterAll(async () => {
    await lg?.gw.close(true);
  });

  it('runs with the SDK version LangChain requires', () => {
    const manifest = join(__dirname, 'node_modules/@pinecone-database/pinecone/package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    expect(version.startsWith('5.')).toBe(true);
  });

  it('serves the SDK 5 directly: describe, upsert into "", query, fetch, stats, delete', async () => {
    const described = await acme.describeIndex('kb');
    expect(described.host).toBe(`${lg.base}/pinecone/data/kb`);
    const index = acme.index('kb');
    const unit = (i: number) => Array.from({ length: DIMENSION }, (_, j) => (j === i ? 1 : 0));
    await index.upsert([
      { id: 'u1', values: unit(1), metadata: { kind: 'a' } },
      { id: 'u2', values: unit(2), metadata: { kind: 'b' } },
    ]);
    const found = await index.query({ vector: unit(1), topK: 2, includeMetadata: true });
    expect(found.matches.map((m) => m.id)).toEqual(['u1', 'u2']);
    expect(found.matches[0]?.score).toBeCloseTo(1, 5);
    const filtered = await index.query({ vector: unit(1), topK: 2, filter: { kind: 'b' } });
    expect(filtered.matches.map((m) => m.id)).toEqual(['u2']);
    const fetched = await index.fetch(['u2']);
    expect(fetched.records.u2?.metadata).toEqual({ kind: 'b' });
    // SDK 8 names the default namespace "__default__", SDK 5 "": the same records.
    const stats = await index.describeIndexStats();
    expect(stats.totalRecordCount).toBe(2);
    expect(stats.namespaces).toEqual({ '': { recordCount: 2 } });
    await index.deleteAll();
    expect((await index.describeIndexStats()).totalRecordCount).toBe(0);
  });

  it('stores documents in batches of 100 with page content and flattened metadata', async () => {
    const docs: LangChainDocument[] = Array.from(
      { length: 150 },
      (_, i) =>
        new Document({
          pageContent: `note ${i} about ${i % 2 === 0 ? 'apples and pears' : 'rivers and lakes'}`,
          metadata: { source: `file-${i % 3}`, loc: { lines: { from: i, to: i + 1 } } },
        }),
    );
    lg.resetCount();
    const store = await PineconeStore.fromDocuments(docs, embeddings, {
      pineconeIndex: acme.index('kb'),
    });
    expect(lg.requestsTo('/pinecone/data/kb/vectors/upsert')).toBe(2);
    const hits = await store.similaritySearch('apples and pears', 3, { source: 'file-0' });
    expect(hits).toHaveLength(3);
    for (const hit of hits) {
      expect(hit.pageContent).toContain('apples and pears');
      expect(hit.metadata.source).toBe('file-0');
      expect(typeof hit.metadata['loc.lines.from']).toBe('number');
    }
    const scored = await store.similaritySearchWithScore('rivers and lakes', 2);
    expect(scored.every(([doc, score]) => doc.pageContent.includes('rivers') && score > 0.9)).toBe(
      true,
    );
  });

  it('answers maximal marginal relevance searches from the values it returns', async () => {
    const store = storeOf(acme);
    const picked = await store.maxMarginalRelevanceSearch('apples and pears', {
      k: 4,
      fetchK: 20,
      lambda: 0.2,
    });
    expect(picked).toHaveLength(4);
    expect(new Set(picked.map((d) => d.pageContent)).size).toBe(4);
  });

  it('keeps two tenants’ stores apart under the same index name and ids', async () => {
    const doc = (text: string) => new Document({ pageContent: text, metadata: { tag: 'x' } });
    await storeOf(globex).addDocuments([doc('globex private memo')], { ids: ['shared-id'] });
    await storeOf(acme).addDocuments([doc('acme private memo')], { ids: ['shared-id'] });
    const fromGlobex = await storeOf(globex).similaritySearch('private memo', 10);
    expect(fromGlobex.map((d) => d.pageContent)).toEqual(['globex private memo']);
    const fromAcme = await storeOf(acme).similaritySearch('private memo', 10, { tag: 'x' });
    expect(fromAcme.map((d) => d.pageContent)).toEqual(['acme private memo']);
    await storeOf(acme).delete({ ids: ['shared-id'] });
    expect((await storeOf(globex).similaritySearch('private memo', 1))[0]?.pageContent).toBe(
      'globex private memo',
    );
  });

  it('refuses a filter on a reserved key once, without a retry, and audits it', async () => {
    lg.resetCount();
    await expect(storeOf(acme).similaritySearch('apples', 1, { _vg_tenant: 'x' })).rejects.toThrow(
      /reserved/,
    );
    expect(lg.requestsTo('/pinecone/data/kb/query')).toBe(1);
    const events = await auditedAs(lg.gw, 'pinecone.query');
    expect(events[0]).toMatchObject({ status: 400, outcome: 'denied', tenantId: 'acme' });
  });

  it('deletes every document of the store with deleteAll', async () => {
    await storeOf(acme).delete({ deleteAll: true });
    expect((await acme.index('kb').describeIndexStats()).totalRecordCount).toBe(0);
    expect((await globex.index('kb').describeIndexStats()).totalRecordCount).toBe(1);
  });
});
