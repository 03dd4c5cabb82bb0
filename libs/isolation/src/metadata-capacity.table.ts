import { EMBEDDED_METADATA_CAPACITY } from './backends/embedded/embedded.options';
import { MILVUS_METADATA_CAPACITY } from './backends/milvus/milvus.options';
import { PGVECTOR_METADATA_CAPACITY } from './backends/pgvector/pgvector.options';
import { PINECONE_METADATA_CAPACITY } from './backends/pinecone/pinecone.options';
import { QDRANT_METADATA_CAPACITY } from './backends/qdrant/qdrant.options';
import { BackendName } from './ports/vector.types';

/**
 * How many bytes of metadata (as JSON) one record may carry on each backend, declared by each
 * backend beside its options. A tenant's effective limit is the smaller of this and its tier's.
 */
export const METADATA_CAPACITY: { readonly [B in BackendName]: number } = {
  embedded: EMBEDDED_METADATA_CAPACITY,
  milvus: MILVUS_METADATA_CAPACITY,
  qdrant: QDRANT_METADATA_CAPACITY,
  pinecone: PINECONE_METADATA_CAPACITY,
  pgvector: PGVECTOR_METADATA_CAPACITY,
};
