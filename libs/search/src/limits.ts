/** The input limits of the tenant plane; the README's limits table lists each with its status. */
export const LIMITS = {
  maxBatch: 1000,
  maxDeleteIds: 1000,
  maxTopK: 1000,
  maxIdLength: 512,
  maxMetadataBytes: 16_384,
  maxMetadataKeys: 64,
  maxMetadataDepth: 4,
  maxMetadataString: 4096,
  maxMetadataArray: 256,
  maxFilterDepth: 6,
  maxFilterClauses: 64,
  maxFilterValues: 256,
  /**
   * A filter's cost: the values its clauses compare with, summed over the whole tree (a `$in`
   * of 50 values costs 50, any other clause 1). With arrays bounded by maxMetadataArray, one
   * record is tested with at most maxFilterCost × maxMetadataArray comparisons.
   */
  maxFilterCost: 1024,
  maxFilterString: 1024,
} as const;

/** Metadata and filter keys: they always address metadata, never a storage column. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
