import { MAX_FIELD_LENGTH, MAX_FIELD_SEGMENTS, METADATA_KEY } from '@vecgate/isolation';

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
  /**
   * Bound on every vector value, written or queried. usearch and the remote engines compute
   * in float32 (max 3.4e38): at the largest dimension, 4,096, a squared euclidean distance is
   * at most 4 × 4,096 × (1e15)² ≈ 1.6e34 and a dot product or norm 4,096 × (1e15)² ≈ 4.1e33,
   * so no metric can overflow to an infinite score.
   */
  maxVectorValue: 1e15,
  // A record's metadata size is a tier setting bounded by its backend (`metadataLimitOf`).
  maxMetadataKeys: 64,
  maxMetadataDepth: 4,
  /** Characters of one metadata string: room for page content, as LangChain stores it. */
  maxMetadataString: 65_536,
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

/**
 * Metadata keys and filter fields (`isMetadataKey`): dot-separated segments, each
 * `[A-Za-z_][A-Za-z0-9_]*`, at most MAX_FIELD_LENGTH characters and MAX_FIELD_SEGMENTS
 * segments. They always address metadata, never a storage column.
 */
export const FIELD_NAME_RULE = `${METADATA_KEY.source}, at most ${MAX_FIELD_LENGTH} characters and ${MAX_FIELD_SEGMENTS} segments`;
