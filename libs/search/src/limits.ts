/** The input limits of the tenant plane; the README's limits table lists each with its status. */
export const LIMITS = {
  maxBatch: 1000,
  maxDeleteIds: 1000,
  maxTopK: 1000,
  /** topK × dimension of one answer with `includeValues`: about 10 MB of JSON at most. */
  maxAnswerFloats: 1_000_000,
  maxIdLength: 512,
  maxMetadataBytes: 16_384,
  maxMetadataKeys: 64,
  maxMetadataDepth: 4,
  maxMetadataString: 4096,
  maxMetadataArray: 256,
  maxFilterDepth: 6,
  maxFilterClauses: 64,
  maxFilterValues: 256,
  maxFilterString: 1024,
} as const;

/** Metadata and filter keys: they always address metadata, never a storage column. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
