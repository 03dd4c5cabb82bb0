import { QDRANT_DEFAULTS, qdrantOptionProblems, QdrantOptions } from './qdrant.options';

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
        sharedCollections: [{ dimension: 3, metric: 'cosine', collection: 'shared_3' }],
        shardedCollections: [{ dimension: 3, metric: 'cosine', collection: 'sharded_3' }],
      }),
    ).toEqual([]);
  });

  it('names each bad setting', () => {
    expect(
      qdrantOptionProblems({
        ...base,
        url: 'ftp://x',
        apiKey: '',
        timeoutMs: 5,
        sharedCollections: [
          { dimension: 0, metric: 'cosine', collection: 'a' },
          { dimension: 3, metric: 'cosine', collection: 'vg_t_mine' },
          { dimension: 3, metric: 'cosine', collection: 'b' },
          { dimension: 4, metric: 'dot', collection: 'bad name' },
        ],
        shardedCollections: [{ dimension: 5, metric: 'dot', collection: 'a' }],
      }),
    ).toEqual([
      'url: must start with http:// or https://',
      'apiKey: must not be empty',
      'timeoutMs: must be an integer of at least 100',
      'sharedCollections: 0:cosine: dimension must be an integer from 1 to 4096',
      'sharedCollections: 3:cosine: collection "vg_t_mine" is reserved (per-tenant collections start with vg_t_; vg_token_grants holds token grants)',
      'sharedCollections: 3:cosine is mapped twice',
      'sharedCollections: 4:dot: collection "bad name" must match ^[A-Za-z0-9_-]{1,255}$',
      'shardedCollections: 5:dot: collection "a" is already used by sharedCollections 0:cosine',
    ]);
  });
});
