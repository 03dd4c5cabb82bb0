import { loadQdrantOptions } from './qdrant.env';

describe('loadQdrantOptions', () => {
  it('leaves the backend off when QDRANT_URL is unset', () => {
    expect(loadQdrantOptions({})).toEqual({ problems: [] });
    expect(loadQdrantOptions({ QDRANT_URL: '  ' })).toEqual({ problems: [] });
  });

  it('names a Qdrant setting given without QDRANT_URL', () => {
    expect(
      loadQdrantOptions({ QDRANT_API_KEY: 'k', QDRANT_SHARED_COLLECTIONS: '3:cosine=s' }),
    ).toEqual({
      problems: [
        'QDRANT_API_KEY: set, but QDRANT_URL is not (the Qdrant backend is off)',
        'QDRANT_SHARED_COLLECTIONS: set, but QDRANT_URL is not (the Qdrant backend is off)',
      ],
    });
  });

  it('reads every setting, with the defaults for those left out', () => {
    expect(loadQdrantOptions({ QDRANT_URL: 'http://qdrant:6333' })).toEqual({
      options: {
        url: 'http://qdrant:6333',
        sharedCollections: [],
        shardedCollections: [],
        timeoutMs: 30_000,
        maxCollections: 1000,
        maxShardKeys: 1024,
        tokenMaxTtlSeconds: 3600,
      },
      problems: [],
    });
    expect(
      loadQdrantOptions({
        QDRANT_URL: 'https://qdrant.internal:6333',
        QDRANT_API_KEY: 'secret-key',
        QDRANT_SHARED_COLLECTIONS: '1536:cosine=vg_shared_1536_cosine, 768:dot=vg_shared_768_dot',
        QDRANT_SHARDED_COLLECTIONS: '1536:cosine=vg_sharded_1536_cosine',
        QDRANT_TIMEOUT_MS: '5000',
        QDRANT_MAX_COLLECTIONS: '200',
        QDRANT_MAX_SHARD_KEYS: '64',
        QDRANT_TOKEN_MAX_TTL: '900',
        QDRANT_PUBLIC_URL: 'https://qdrant.example.com',
      }),
    ).toEqual({
      options: {
        url: 'https://qdrant.internal:6333',
        apiKey: 'secret-key',
        sharedCollections: [
          { dimension: 1536, metric: 'cosine', collection: 'vg_shared_1536_cosine' },
          { dimension: 768, metric: 'dot', collection: 'vg_shared_768_dot' },
        ],
        shardedCollections: [
          { dimension: 1536, metric: 'cosine', collection: 'vg_sharded_1536_cosine' },
        ],
        timeoutMs: 5000,
        maxCollections: 200,
        maxShardKeys: 64,
        tokenMaxTtlSeconds: 900,
        publicUrl: 'https://qdrant.example.com',
      },
      problems: [],
    });
  });

  it('names each bad key, and gives no options then', () => {
    expect(
      loadQdrantOptions({
        QDRANT_URL: 'ftp://qdrant',
        QDRANT_SHARED_COLLECTIONS:
          '1536:cosine=a,1536:cosine=b,9999:cosine=c,3:l2=d,oops,4:dot=vg_t_x',
        QDRANT_SHARDED_COLLECTIONS: '8:dot=a',
        QDRANT_TIMEOUT_MS: 'soon',
        QDRANT_MAX_COLLECTIONS: '0',
        QDRANT_TOKEN_MAX_TTL: '30',
        QDRANT_PUBLIC_URL: 'qdrant.example.com',
      }),
    ).toEqual({
      problems: [
        'QDRANT_SHARED_COLLECTIONS: entry "1536:cosine=b": 1536:cosine is mapped twice',
        'QDRANT_SHARED_COLLECTIONS: entry "9999:cosine=c": dimension must be 1 to 4096',
        'QDRANT_SHARED_COLLECTIONS: entry "3:l2=d": metric must be one of cosine, euclidean, dot',
        'QDRANT_SHARED_COLLECTIONS: entry "oops" is not dimension:metric=collection',
        'QDRANT_TIMEOUT_MS: must be an integer of at least 100, not "soon"',
        'QDRANT_MAX_COLLECTIONS: must be an integer of at least 1, not "0"',
        'QDRANT_TOKEN_MAX_TTL: must be an integer of at least 60, not "30"',
        'QDRANT_URL: must be an http:// or https:// URL, not "ftp://qdrant"',
        'QDRANT_PUBLIC_URL: must be an http:// or https:// URL, not "qdrant.example.com"',
        'QDRANT_SHARED_COLLECTIONS: entry "4:dot=vg_t_x": collection vg_t_x is reserved (per-tenant collections start with vg_t_; vg_token_grants holds token grants)',
        'QDRANT_SHARDED_COLLECTIONS: entry "8:dot=a": collection a is also used by QDRANT_SHARED_COLLECTIONS 1536:cosine',
      ],
    });
  });

  it('names each problem once, by its variable, whichever check finds it', () => {
    const problems = loadQdrantOptions({
      QDRANT_URL: 'not a url',
      QDRANT_SHARED_COLLECTIONS: '3:cosine=bad name,0:cosine=x,3:cosine=y',
      QDRANT_TIMEOUT_MS: '5',
    }).problems;
    expect(problems).toEqual([
      'QDRANT_SHARED_COLLECTIONS: entry "0:cosine=x": dimension must be 1 to 4096',
      'QDRANT_SHARED_COLLECTIONS: entry "3:cosine=y": 3:cosine is mapped twice',
      'QDRANT_TIMEOUT_MS: must be an integer of at least 100, not "5"',
      'QDRANT_URL: must be an http:// or https:// URL, not "not a url"',
      'QDRANT_SHARED_COLLECTIONS: entry "3:cosine=bad name": collection must match ^[A-Za-z0-9_-]{1,255}$',
    ]);
    // The one message format: every problem starts with the variable an operator sets.
    for (const problem of problems) expect(problem).toMatch(/^QDRANT_[A-Z_]+: /);
  });
});
