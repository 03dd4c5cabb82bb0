import { EmbeddedOptions } from './backends/embedded/embedded.options';
import { MilvusOptions } from './backends/milvus/milvus.options';
import { PgvectorOptions } from './backends/pgvector/pgvector.options';
import { PineconeOptions } from './backends/pinecone/pinecone.options';
import { QdrantOptions } from './backends/qdrant/qdrant.options';
import { BackendName } from './ports/vector.types';

/**
 * The options of each backend, by name. The driver table is typed by it
 * (`BackendOptionsTable[B]`), so a name added to `BACKENDS` without an entry here does not
 * compile.
 */
export interface BackendOptionsTable {
  readonly embedded: EmbeddedOptions;
  /** Set when MILVUS_ADDRESS is. */
  readonly milvus: MilvusOptions;
  /** Set when QDRANT_URL is. */
  readonly qdrant: QdrantOptions;
  /** Set when PINECONE_API_KEY is. */
  readonly pinecone: PineconeOptions;
  /** Set when PGVECTOR_URL is. */
  readonly pgvector: PgvectorOptions;
}

/** The embedded engine is always on; every other backend is on when its options are set. */
export type EnabledBackendOptions = {
  readonly [B in BackendName]: B extends 'embedded'
    ? BackendOptionsTable[B]
    : BackendOptionsTable[B] | undefined;
};

export type IsolationOptions = { readonly embedded: EmbeddedOptions } & {
  readonly [B in Exclude<BackendName, 'embedded'>]?: BackendOptionsTable[B];
} & {
  /** `tier=backend:strategy,...` */
  readonly placementPolicy: string;
  readonly defaultTier: string;
};

export const ISOLATION_OPTIONS = Symbol('ISOLATION_OPTIONS');
