import { UnprocessableError } from '@vecgate/core';
import { makeTenantScope, Placement, StrategyName } from '../../ports/vector.types';
import { dedicatedIndexName } from './pinecone.naming';
import { PineconeBackend } from './pinecone.backend';
import { PineconeOptions } from './pinecone.options';

const UID = '00112233445566778899aabbccddeeff';

const OPTIONS: PineconeOptions = {
  apiKey: 'key',
  sharedIndexes: [
    { dimension: 1536, metric: 'cosine', name: 'vg-shared-1536', host: 'https://a.example' },
    { dimension: 8, metric: 'dot', name: 'vg-shared-8-dot', host: 'http://127.0.0.1:1' },
  ],
  dedicated: {
    spec: { pod: { environment: 'us-east1-gcp', podType: 'p1.x1', pods: 1 } },
    indexPrefix: 'acme-',
    credentials: 'tenant',
    maxIndexes: 10,
    readyTimeoutMs: 1000,
  },
  tenantKeys: { cacheTtlMs: 0 },
  maxNamespacesPerIndex: 25_000,
  requestTimeoutMs: 1000,
  maxRetries: 0,
  eraseTimeoutMs: 0,
  pollIntervalMs: 1,
};

function plan(backend: PineconeBackend, strategy: StrategyName, dimension = 1536) {
  return backend.plan({
    tenantId: 'acme',
    tenantUid: UID,
    strategy,
    space: { dimension, metric: dimension === 8 ? 'dot' : 'cosine' },
  });
}

describe('PineconeBackend (no network)', () => {
  it('declares its strategies and their limits from configuration', () => {
    const backend = new PineconeBackend(OPTIONS);
    expect(backend.name).toBe('pinecone');
    expect(backend.capabilities).toEqual([
      { strategy: 'namespace', limit: 25_000, limitName: 'namespaces per shared index' },
      { strategy: 'dedicated_index', limit: 10, limitName: 'indexes per Pinecone project' },
    ]);
    const shared = new PineconeBackend({ ...OPTIONS, dedicated: undefined });
    expect(shared.supports('namespace')).toBe(true);
    expect(shared.supports('dedicated_index')).toBe(false);
  });

  it('plans names derived from the uid: a namespace in the mapped index, or an index of its own', () => {
    const backend = new PineconeBackend(OPTIONS);
    expect(plan(backend, 'namespace')).toEqual({
      backend: 'pinecone',
      strategy: 'namespace',
      location: { index: 'vg-shared-1536', namespace: `vg-${UID}` },
    });
    expect(plan(backend, 'namespace', 8).location.index).toBe('vg-shared-8-dot');
    expect(plan(backend, 'dedicated_index')).toEqual({
      backend: 'pinecone',
      strategy: 'dedicated_index',
      location: {
        index: dedicatedIndexName('acme-', UID),
        namespace: `vg-${UID}`,
        credentials: 'tenant',
      },
    });
  });

  it('refuses strategies it does not have, unmapped spaces and malformed uids', () => {
    const backend = new PineconeBackend(OPTIONS);
    for (const strategy of ['database', 'collection', 'partition', 'partition_key'] as const) {
      expect(() => plan(backend, strategy)).toThrow(UnprocessableError);
    }
    expect(() => plan(backend, 'namespace', 768)).toThrow(/768:cosine/);
    expect(() =>
      backend.plan({
        tenantId: 'acme',
        tenantUid: 'not-a-uid',
        strategy: 'namespace',
        space: { dimension: 1536, metric: 'cosine' },
      }),
    ).toThrow(/32 hex/);
  });

  it('fails closed on a placement that is not the one its uid derives, before any request', async () => {
    const backend = new PineconeBackend(OPTIONS);
    const space = { dimension: 1536, metric: 'cosine' } as const;
    const good = plan(backend, 'namespace');
    const otherUid = 'ffeeddccbbaa99887766554433221100';
    const dedicated = plan(backend, 'dedicated_index');
    const cases: Placement[] = [
      { ...good, backend: 'qdrant' },
      { ...good, location: { ...good.location, namespace: `vg-${otherUid}` } },
      { ...good, location: { index: 'vg-shared-1536' } },
      {
        ...dedicated,
        location: { ...dedicated.location, index: dedicatedIndexName('acme-', otherUid) },
      },
      { ...dedicated, location: { ...dedicated.location, credentials: 'anything' } },
    ];
    for (const placement of cases) {
      const scope = makeTenantScope({ tenantId: 'acme', tenantUid: UID, placement, space });
      await expect(backend.count(scope)).rejects.toThrow(/not usable on Pinecone/);
    }
    expect(backend.clients.size).toEqual({ clients: 0, handles: 0 });
  });
});
