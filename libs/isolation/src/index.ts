export * from './backends/embedded/embedded.backend';
export * from './backends/embedded/embedded.options';
export * from './backends/milvus/milvus.backend';
export * from './backends/milvus/milvus.options';
export * from './backends/pgvector';
export * from './backends/pinecone/pinecone.backend';
export * from './backends/pinecone/pinecone.options';
export * from './backends/pinecone/pinecone-secrets';
export {
  INDEX_NAME as PINECONE_INDEX_NAME,
  indexPrefixProblem as pineconeIndexPrefixProblem,
} from './backends/pinecone/pinecone-names';
export * from './backends/qdrant';
export * from './backend-drivers.table';
export * from './isolation.module';
export * from './isolation.options';
export * from './placement/placement-policy';
export * from './ports/backend-admin';
export * from './ports/tenant-vector-store';
export * from './ports/vector-backend.driver';
export * from './ports/vector.types';
export * from './routing/backend-drivers';
export * from './ports/call-signal';
