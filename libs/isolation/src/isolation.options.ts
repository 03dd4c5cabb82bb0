import { EmbeddedOptions } from './backends/embedded/embedded.options';
import { MilvusOptions } from './backends/milvus/milvus.options';
import { PgvectorOptions } from './backends/pgvector/pgvector.options';
import { PineconeOptions } from './backends/pinecone/pinecone.options';
import { QdrantOptions } from './backends/qdrant/qdrant.options';

export interface IsolationOptions {
  readonly embedded: EmbeddedOptions;
  /** Set when MILVUS_ADDRESS is. */
  readonly milvus?: MilvusOptions;
  /** Set when QDRANT_URL is. */
  readonly qdrant?: QdrantOptions;
  /** Set when PINECONE_API_KEY is. */
  readonly pinecone?: PineconeOptions;
  /** Set when PGVECTOR_URL is. */
  readonly pgvector?: PgvectorOptions;
  /** `tier=backend:strategy,...` */
  readonly placementPolicy: string;
  readonly defaultTier: string;
}

export const ISOLATION_OPTIONS = Symbol('ISOLATION_OPTIONS');
