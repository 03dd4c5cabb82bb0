// The Pinecone backend's public surface: what the app and the isolation module use.
export * from './pinecone.backend';
export * from './pinecone.options';
export * from './pinecone.secrets';
// Prefixed here: the isolation library re-exports every backend from one index.
export {
  INDEX_NAME as PINECONE_INDEX_NAME,
  indexPrefixProblem as pineconeIndexPrefixProblem,
} from './pinecone.naming';
