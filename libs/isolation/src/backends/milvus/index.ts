// The Milvus backend's public surface: what the app and the isolation module use.
export * from './milvus.backend';
export * from './milvus.options';
