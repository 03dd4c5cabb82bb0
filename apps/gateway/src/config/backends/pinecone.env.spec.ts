import { loadPineconeOptions, PINECONE_DEFAULTS } from './pinecone.env';

describe('Pinecone configuration', () => {
  it('leaves the backend off without PINECONE_API_KEY', () => {
    expect(loadPineconeOptions({})).toEqual({ problems: [] });
    expect(loadPineconeOptions({ PINECONE_API_KEY: '  ' })).toEqual({ problems: [] });
  });

  it('names Pinecone settings given without the key (they would be ignored)', () => {
    const { options, problems } = loadPineconeOptions({
      PINECONE_SHARED_INDEXES: '8:cosine=vg-8@http://localhost:5081',
      PINECONE_DEDICATED_SPEC: 'serverless:aws:us-east-1',
    });
    expect(options).toBeUndefined();
    expect(problems).toEqual([
      'PINECONE_SHARED_INDEXES: set, but PINECONE_API_KEY is not (the Pinecone backend is off)',
      'PINECONE_DEDICATED_SPEC: set, but PINECONE_API_KEY is not (the Pinecone backend is off)',
    ]);
  });

  it('applies the documented defaults', () => {
    const { options, problems } = loadPineconeOptions({
      PINECONE_API_KEY: 'pcsk_x',
      PINECONE_SHARED_INDEXES:
        '1536:cosine=vg-shared-1536@vg-shared-1536-abc.svc.aped-1.pinecone.io, 8:dotproduct=local-8@http://localhost:5081/',
    });
    expect(problems).toEqual([]);
    expect(options).toEqual({
      apiKey: 'pcsk_x',
      sharedIndexes: [
        {
          dimension: 1536,
          metric: 'cosine',
          name: 'vg-shared-1536',
          host: 'https://vg-shared-1536-abc.svc.aped-1.pinecone.io',
        },
        { dimension: 8, metric: 'dot', name: 'local-8', host: 'http://localhost:5081' },
      ],
      tenantKeys: { cacheTtlMs: PINECONE_DEFAULTS.tenantKeysCacheMs },
      maxNamespacesPerIndex: 100_000,
      requestTimeoutMs: 30_000,
      maxRetries: 3,
      eraseTimeoutMs: 120_000,
      pollIntervalMs: 1_000,
    });
  });

  it('reads the dedicated index settings and the other knobs', () => {
    const { options, problems } = loadPineconeOptions({
      PINECONE_API_KEY: 'k',
      PINECONE_CONTROLLER_HOST: 'http://localhost:5080',
      PINECONE_DEDICATED_SPEC: 'pod:us-east1-gcp:p1.x2:3',
      PINECONE_DEDICATED_INDEX_PREFIX: 'acme-prod-',
      PINECONE_DEDICATED_KEYS: 'tenant',
      PINECONE_MAX_DEDICATED_INDEXES: '200',
      PINECONE_INDEX_READY_TIMEOUT_MS: '60000',
      PINECONE_TENANT_KEYS_DIR: '/run/secrets',
      PINECONE_TENANT_KEYS_CACHE_MS: '0',
      PINECONE_MAX_NAMESPACES: '25000',
      PINECONE_REQUEST_TIMEOUT_MS: '5000',
      PINECONE_MAX_RETRIES: '0',
      PINECONE_API_VERSION: '2025-01',
      PINECONE_ERASE_TIMEOUT_MS: '1000',
    });
    expect(problems).toEqual([]);
    expect(options).toMatchObject({
      controllerHost: 'http://localhost:5080',
      sharedIndexes: [],
      dedicated: {
        spec: { pod: { environment: 'us-east1-gcp', podType: 'p1.x2', pods: 3 } },
        indexPrefix: 'acme-prod-',
        credentials: 'tenant',
        maxIndexes: 200,
        readyTimeoutMs: 60_000,
      },
      tenantKeys: { directory: '/run/secrets', cacheTtlMs: 0 },
      maxNamespacesPerIndex: 25_000,
      requestTimeoutMs: 5000,
      maxRetries: 0,
      apiVersion: '2025-01',
      eraseTimeoutMs: 1000,
    });
    expect(
      loadPineconeOptions({
        PINECONE_API_KEY: 'k',
        PINECONE_DEDICATED_SPEC: 'serverless:gcp:europe-west4',
      }).options?.dedicated,
    ).toEqual({
      spec: { serverless: { cloud: 'gcp', region: 'europe-west4' } },
      indexPrefix: 'vg-',
      credentials: 'project',
      maxIndexes: 20,
      readyTimeoutMs: 300_000,
    });
  });

  it('names each bad key', () => {
    const { options, problems } = loadPineconeOptions({
      PINECONE_API_KEY: 'k',
      PINECONE_CONTROLLER_HOST: 'ftp://x',
      PINECONE_SHARED_INDEXES:
        '8:cosine=a@http://h:1,8:cosine=b@http://h:2,0:cosine=c@http://h,9:manhattan=d@http://h,9:dot=Bad_Name@http://h,10:dot=e@http://h/path,nonsense',
      PINECONE_DEDICATED_SPEC: 'serverless:ibm:x',
      PINECONE_DEDICATED_INDEX_PREFIX: 'Way-Too-Long-Prefix-For-Pinecone',
      PINECONE_DEDICATED_KEYS: 'both',
      PINECONE_MAX_RETRIES: '11',
      PINECONE_MAX_NAMESPACES: 'many',
      PINECONE_API_VERSION: 'latest',
    });
    expect(options).toBeUndefined();
    expect(problems).toEqual([
      'PINECONE_CONTROLLER_HOST: must be an http(s) URL',
      'PINECONE_SHARED_INDEXES: entry "8:cosine=b@http://h:2": 8:cosine is mapped twice',
      'PINECONE_SHARED_INDEXES: entry "0:cosine=c@http://h": dimension must be 1 to 4096',
      'PINECONE_SHARED_INDEXES: entry "9:manhattan=d@http://h": metric must be one of cosine, euclidean, dot',
      'PINECONE_SHARED_INDEXES: entry "nonsense" is not dimension:metric=index@host',
      'PINECONE_SHARED_INDEXES: entry "9:dot=Bad_Name@http://h": index name "Bad_Name" is not a Pinecone index name',
      'PINECONE_SHARED_INDEXES: entry "10:dot=e@http://h/path": the host must be an http(s) host (index@host)',
      'PINECONE_DEDICATED_SPEC: must be serverless:<cloud>:<region> or pod:<environment>:<podType>[:<pods>]',
      'PINECONE_DEDICATED_INDEX_PREFIX: must be at most 21 characters',
      'PINECONE_DEDICATED_KEYS: must be project or tenant',
      'PINECONE_API_VERSION: must look like 2025-01',
      'PINECONE_MAX_NAMESPACES: must be an integer of at least 1, not "many"',
      'PINECONE_MAX_RETRIES: must be an integer from 0 to 10, not "11"',
    ]);
  });

  it('names dedicated settings given without PINECONE_DEDICATED_SPEC', () => {
    const { problems } = loadPineconeOptions({
      PINECONE_API_KEY: 'k',
      PINECONE_SHARED_INDEXES: '8:cosine=a@http://h:1',
      PINECONE_DEDICATED_KEYS: 'tenant',
    });
    expect(problems).toEqual([
      'PINECONE_DEDICATED_KEYS: set, but PINECONE_DEDICATED_SPEC is not (dedicated_index is off)',
    ]);
  });

  it('refuses a key with no place to put a tenant', () => {
    expect(loadPineconeOptions({ PINECONE_API_KEY: 'k' })).toEqual({
      problems: [
        'PINECONE_SHARED_INDEXES: set it (namespace strategy) or PINECONE_DEDICATED_SPEC ' +
          '(dedicated_index strategy); with neither, no tenant can be placed on Pinecone',
      ],
    });
  });
});
