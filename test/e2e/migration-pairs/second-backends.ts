import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PGLITE_DATA_ROLE, startPglite } from '../../support/pglite';
import { MilvusStub } from '../../wire/milvus/stub';
import { TOKEN as MILVUS_TOKEN } from '../../wire/milvus/fixtures';
import { PineconeStub } from '../../wire/pinecone/stub';
import { PROJECT_KEY } from '../../wire/pinecone/fixtures';
import { QdrantStub } from '../../wire/qdrant/stub';

/** The backend beside the embedded one in a pair's gateway. */
export type SecondBackend = 'embedded' | 'pgvector' | 'milvus' | 'qdrant' | 'pinecone';

/** What a gateway needs to reach a second backend, and a look at what that backend stores. */
export interface RunningBackend {
  /** How it is served: a live PostgreSQL (PGlite) or a wire stub. */
  readonly servedBy: string;
  readonly env: Record<string, string>;
  /**
   * Whether the backend's own state still holds `text` anywhere (a record id, a metadata value,
   * a tenant uid); undefined when this backend's state cannot be read while the gateway runs.
   */
  holds(text: string): boolean | undefined;
  stop(): Promise<void>;
}

/** Every vector space the pair tests use. */
export const DIM = 8;

/**
 * Starts a second backend for the pair tests: pgvector live on PGlite (its one connection is
 * the gateway's, so its state is read through the erasure reports only), Milvus, Qdrant and
 * Pinecone on the wire stubs, whose whole state is searched for leftovers.
 */
export async function startSecond(backend: SecondBackend, extra: Record<string, string> = {}) {
  const running = await start(backend);
  return { ...running, env: { ...running.env, ...extra } };
}

async function start(backend: SecondBackend): Promise<RunningBackend> {
  switch (backend) {
    case 'embedded':
      return { servedBy: 'files', env: {}, holds: () => undefined, stop: async () => {} };
    case 'pgvector': {
      const pglite = await startPglite();
      return {
        servedBy: 'PGlite (live PostgreSQL with pgvector)',
        env: {
          PGVECTOR_URL: pglite.url,
          PGVECTOR_POOL_SIZE: '1',
          PGVECTOR_DATA_ROLE: PGLITE_DATA_ROLE,
        },
        holds: () => undefined,
        stop: () => pglite.stop(),
      };
    }
    case 'milvus': {
      const stub = new MilvusStub();
      const address = await stub.start();
      return {
        servedBy: 'Milvus wire stub',
        env: {
          MILVUS_ADDRESS: address,
          MILVUS_TOKEN,
          MILVUS_SHARED_COLLECTIONS: `${DIM}:cosine=vg_shared_${DIM}_cosine`,
          MILVUS_MAX_RETRIES: '0',
          MILVUS_LOAD_TIMEOUT_MS: '5000',
        },
        holds: (text) => deepHolds(stub.databases, text),
        stop: () => stub.stop(),
      };
    }
    case 'qdrant': {
      const stub = await QdrantStub.start({ distributed: true });
      return {
        servedBy: 'Qdrant wire stub (distributed mode)',
        env: {
          QDRANT_URL: stub.url,
          QDRANT_SHARED_COLLECTIONS: `${DIM}:cosine=shared_${DIM}_cosine`,
          QDRANT_SHARDED_COLLECTIONS: `${DIM}:cosine=sharded_${DIM}_cosine`,
        },
        holds: (text) => deepHolds(stub.model, text),
        stop: () => stub.close(),
      };
    }
    case 'pinecone': {
      const stub = await PineconeStub.start();
      const shared = await stub.addIndex(`vg-shared-${DIM}-cosine`, DIM, 'cosine');
      return {
        servedBy: 'Pinecone wire stub',
        env: {
          PINECONE_API_KEY: PROJECT_KEY,
          PINECONE_CONTROLLER_HOST: stub.controlUrl,
          PINECONE_SHARED_INDEXES: `${DIM}:cosine=${shared.name}@${shared.url}`,
          PINECONE_DEDICATED_SPEC: 'serverless:aws:us-east-1',
          PINECONE_INDEX_READY_TIMEOUT_MS: '5000',
          PINECONE_ERASE_TIMEOUT_MS: '2000',
          PINECONE_MAX_RETRIES: '0',
        },
        holds: (text) => deepHolds(stub.indexes, text),
        stop: () => stub.close(),
      };
    }
  }
}

/** Whether any string, key or byte buffer reachable from `value` contains `text`. */
export function deepHolds(value: unknown, text: string, seen = new Set<unknown>()): boolean {
  if (typeof value === 'string') return value.includes(text);
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return false;
  if (value instanceof Map)
    return [...value].some(([k, v]) => deepHolds(k, text, seen) || deepHolds(v, text, seen));
  if (value instanceof Set || Array.isArray(value))
    return [...(value as Iterable<unknown>)].some((v) => deepHolds(v, text, seen));
  if (typeof (value as { on?: unknown }).on === 'function') return false;
  return Object.entries(value).some(([k, v]) => k.includes(text) || deepHolds(v, text, seen));
}

/** Whether any file of the embedded data directory (databases and their WAL) holds `text`. */
export function embeddedHolds(dataDir: string, text: string): boolean {
  const root = join(dataDir, 'embedded');
  if (!existsSync(root)) return false;
  const needle = Buffer.from(text);
  const walk = (dir: string): boolean =>
    readdirSync(dir).some((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return readFileSync(path).includes(needle);
    });
  return walk(root);
}
