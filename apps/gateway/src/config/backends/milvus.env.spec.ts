import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMilvusOptions } from './milvus.env';

describe('loadMilvusOptions', () => {
  let dir: string;
  let ca: string;
  let cert: string;
  let key: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-milvus-env-'));
    [ca, cert, key] = ['ca.pem', 'client.pem', 'client.key'].map((name) => {
      const path = join(dir, name);
      writeFileSync(path, '-----BEGIN TEST-----\n');
      return path;
    }) as [string, string, string];
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves Milvus disabled, with no problem, when MILVUS_ADDRESS is unset or empty', () => {
    expect(loadMilvusOptions({})).toEqual({ problems: [] });
    expect(loadMilvusOptions({ MILVUS_ADDRESS: ' ', MILVUS_TOKEN: '' })).toEqual({ problems: [] });
  });

  it('names each Milvus key set without MILVUS_ADDRESS instead of ignoring it', () => {
    expect(
      loadMilvusOptions({ MILVUS_TOKEN: 'x', MILVUS_SHARED_COLLECTIONS: '8:dot=c', OTHER: 'y' }),
    ).toEqual({
      problems: [
        'MILVUS_TOKEN: set, but MILVUS_ADDRESS is not (the Milvus backend is off)',
        'MILVUS_SHARED_COLLECTIONS: set, but MILVUS_ADDRESS is not (the Milvus backend is off)',
      ],
    });
  });

  it('fills every default from MILVUS_ADDRESS alone', () => {
    expect(loadMilvusOptions({ MILVUS_ADDRESS: 'milvus:19530' })).toEqual({
      problems: [],
      options: {
        address: 'milvus:19530',
        database: 'default',
        sharedCollections: {},
        indexType: 'AUTOINDEX',
        limits: { databases: 64, collections: 65_536, partitionsPerCollection: 1_024 },
        timeoutMs: 15_000,
        maxRetries: 3,
        loadTimeoutMs: 60_000,
      },
    });
  });

  it('reads the token, the shared collections, TLS files and overridden limits', () => {
    const { options, problems } = loadMilvusOptions({
      MILVUS_ADDRESS: 'https://milvus.internal:443',
      MILVUS_TOKEN: 'root:Milvus',
      MILVUS_DATABASE: 'vecgate',
      MILVUS_SHARED_COLLECTIONS: '1536:cosine=vg_shared_1536_cosine, 768:dot=vg_768_dot',
      MILVUS_TLS_CA_CERT: ca,
      MILVUS_TLS_CLIENT_CERT: cert,
      MILVUS_TLS_CLIENT_KEY: key,
      MILVUS_TLS_SERVER_NAME: 'milvus.example',
      MILVUS_INDEX_TYPE: 'hnsw',
      MILVUS_MAX_DATABASES: '128',
      MILVUS_MAX_COLLECTIONS: '10000',
      MILVUS_MAX_PARTITIONS: '4096',
      MILVUS_TIMEOUT_MS: '5000',
      MILVUS_MAX_RETRIES: '0',
      MILVUS_LOAD_TIMEOUT_MS: '120000',
    });
    expect(problems).toEqual([]);
    expect(options).toEqual({
      address: 'https://milvus.internal:443',
      token: 'root:Milvus',
      tls: {
        enabled: true,
        rootCertPath: ca,
        certChainPath: cert,
        privateKeyPath: key,
        serverName: 'milvus.example',
      },
      database: 'vecgate',
      sharedCollections: { '1536:cosine': 'vg_shared_1536_cosine', '768:dot': 'vg_768_dot' },
      indexType: 'HNSW',
      limits: { databases: 128, collections: 10_000, partitionsPerCollection: 4_096 },
      timeoutMs: 5_000,
      maxRetries: 0,
      loadTimeoutMs: 120_000,
    });
  });

  it('turns TLS on with MILVUS_TLS=true and the system CAs', () => {
    expect(
      loadMilvusOptions({ MILVUS_ADDRESS: 'milvus:19530', MILVUS_TLS: 'true' }).options?.tls,
    ).toEqual({
      enabled: true,
    });
  });

  it('names every bad key', () => {
    const { options, problems } = loadMilvusOptions({
      MILVUS_ADDRESS: 'milvus',
      MILVUS_TOKEN: 'a\nb',
      MILVUS_DATABASE: 'vg_t_mine',
      MILVUS_SHARED_COLLECTIONS:
        '1536:cosine=ok,nonsense,0:cosine=a,8:manhattan=b,8:dot=bad-name,1536:cosine=again,9:dot=ok,10:dot=vg_t_x',
      MILVUS_TLS: 'maybe',
      MILVUS_TLS_CA_CERT: join(dir, 'missing.pem'),
      MILVUS_TLS_CLIENT_CERT: cert,
      MILVUS_INDEX_TYPE: 'IVF_MAGIC',
      MILVUS_MAX_DATABASES: '1',
      MILVUS_MAX_COLLECTIONS: 'lots',
      MILVUS_MAX_PARTITIONS: '-5',
      MILVUS_TIMEOUT_MS: '10',
      MILVUS_MAX_RETRIES: '11',
      MILVUS_LOAD_TIMEOUT_MS: '1.5',
    });
    expect(options).toBeUndefined();
    expect(problems).toEqual([
      'MILVUS_ADDRESS: must be host:port, or http(s)://host:port',
      'MILVUS_TOKEN: must not contain control characters',
      'MILVUS_DATABASE: must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$ and not start with vg_t_',
      'MILVUS_INDEX_TYPE: must be one of AUTOINDEX, FLAT, HNSW, IVF_FLAT, IVF_SQ8, DISKANN',
      `MILVUS_TLS_CA_CERT: cannot read ${join(dir, 'missing.pem')}`,
      'MILVUS_TLS_CLIENT_CERT: set together with MILVUS_TLS_CLIENT_KEY, or neither',
      'MILVUS_TLS: must be true or false, not "maybe"',
      'MILVUS_SHARED_COLLECTIONS: entry "nonsense" is not dimension:metric=collection',
      'MILVUS_SHARED_COLLECTIONS: entry "0:cosine=a": dimension must be 1 to 4096',
      'MILVUS_SHARED_COLLECTIONS: entry "8:manhattan=b": metric must be one of cosine, euclidean, dot',
      'MILVUS_SHARED_COLLECTIONS: entry "1536:cosine=again": 1536:cosine is mapped twice',
      'MILVUS_SHARED_COLLECTIONS: entry "8:dot=bad-name": collection must match ^[A-Za-z_][A-Za-z0-9_]{0,249}$',
      'MILVUS_SHARED_COLLECTIONS: entry "9:dot=ok": collection ok is also used by 1536:cosine; collection ok_part is also used by 1536:cosine',
      'MILVUS_SHARED_COLLECTIONS: entry "10:dot=vg_t_x": collection cannot start with vg_t_',
      'MILVUS_MAX_DATABASES: must be an integer from 2 to 1000000, not "1"',
      'MILVUS_MAX_COLLECTIONS: must be an integer from 1 to 100000000, not "lots"',
      'MILVUS_MAX_PARTITIONS: must be an integer from 2 to 1000000, not "-5"',
      'MILVUS_TIMEOUT_MS: must be an integer from 100 to 600000, not "10"',
      'MILVUS_MAX_RETRIES: must be an integer from 0 to 10, not "11"',
      'MILVUS_LOAD_TIMEOUT_MS: must be an integer from 1000 to 3600000, not "1.5"',
    ]);
  });

  it("refuses a shared name whose partition collection would be another pair's collection", () => {
    expect(
      loadMilvusOptions({
        MILVUS_ADDRESS: 'milvus:19530',
        MILVUS_SHARED_COLLECTIONS: '8:cosine=x_part,16:cosine=x',
      }).problems,
    ).toEqual([
      'MILVUS_SHARED_COLLECTIONS: entry "16:cosine=x": collection x_part is also used by 8:cosine',
    ]);
  });

  it('refuses MILVUS_TLS=false with an https address, and a server name without TLS', () => {
    expect(
      loadMilvusOptions({ MILVUS_ADDRESS: 'https://m:443', MILVUS_TLS: 'false' }).problems,
    ).toEqual(['MILVUS_TLS: false contradicts an https:// MILVUS_ADDRESS']);
    expect(
      loadMilvusOptions({ MILVUS_ADDRESS: 'm:19530', MILVUS_TLS_SERVER_NAME: 'm.example' })
        .problems,
    ).toEqual(['MILVUS_TLS_SERVER_NAME: needs TLS (MILVUS_TLS=true or an https:// address)']);
  });
});
