import { QDRANT_DEFAULTS, QDRANT_ENV, qdrantOptionProblems, QdrantOptions } from './qdrant.options';

const base: QdrantOptions = {
  url: 'http://qdrant:6333',
  sharedCollections: [],
  shardedCollections: [],
  ...QDRANT_DEFAULTS,
};

describe('Qdrant options', () => {
  it('accepts valid options', () => {
    expect(
      qdrantOptionProblems({
        ...base,
        apiKey: 'k',
        publicUrl: 'https://qdrant.example.com',
        sharedCollections: [{ dimension: 3, metric: 'cosine', collection: 'shared_3' }],
        shardedCollections: [{ dimension: 3, metric: 'cosine', collection: 'sharded_3' }],
      }),
    ).toEqual([]);
  });

  it('names each bad setting by its environment variable', () => {
    expect(
      qdrantOptionProblems({
        ...base,
        url: 'ftp://x',
        publicUrl: 'qdrant.example.com',
        sharedCollections: [
          { dimension: 2, metric: 'cosine', collection: 'a' },
          { dimension: 3, metric: 'cosine', collection: 'vg_t_mine' },
          { dimension: 3, metric: 'dot', collection: 'vg_token_grants' },
          { dimension: 4, metric: 'dot', collection: 'bad name' },
          { dimension: 5, metric: 'dot', collection: 'a' },
        ],
        shardedCollections: [{ dimension: 5, metric: 'dot', collection: 'a' }],
      }),
    ).toEqual([
      'QDRANT_URL: must be an http:// or https:// URL, not "ftp://x"',
      'QDRANT_PUBLIC_URL: must be an http:// or https:// URL, not "qdrant.example.com"',
      'QDRANT_SHARED_COLLECTIONS: entry "3:cosine=vg_t_mine": collection vg_t_mine is reserved (per-tenant collections start with vg_t_; vg_token_grants holds token grants)',
      'QDRANT_SHARED_COLLECTIONS: entry "3:dot=vg_token_grants": collection vg_token_grants is reserved (per-tenant collections start with vg_t_; vg_token_grants holds token grants)',
      'QDRANT_SHARED_COLLECTIONS: entry "4:dot=bad name": collection must match ^[A-Za-z0-9_-]{1,255}$',
      'QDRANT_SHARED_COLLECTIONS: entry "5:dot=a": collection a is also used by QDRANT_SHARED_COLLECTIONS 2:cosine',
      'QDRANT_SHARDED_COLLECTIONS: entry "5:dot=a": collection a is also used by QDRANT_SHARED_COLLECTIONS 2:cosine',
    ]);
  });

  it('has a variable for every option', () => {
    const options: Required<QdrantOptions> = { ...base, apiKey: 'k', publicUrl: 'http://q' };
    expect(Object.keys(QDRANT_ENV).sort()).toEqual(Object.keys(options).sort());
  });
});
