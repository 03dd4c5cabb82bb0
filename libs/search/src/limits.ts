/** The input limits of the tenant plane; the README's limits table lists each with its status. */
export const LIMITS = {
  maxBatch: 1000,
  maxDeleteIds: 1000,
  maxTopK: 1000,
  /**
   * topK × dimension of one answer with `includeValues` (2^18 floats, about 5 MB of JSON). The
   * JSON of an answer is built on the event loop: at 1,000,000 floats, sixteen in flight held
   * it long enough for a neighbour's audit commit to time out.
   */
  maxAnswerFloats: 262_144,
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
