import type { MetricName } from './vector.types';

/*
 * Rules every backend follows, kept once. This file imports types only, through a relative
 * path, because the embedded engine's worker threads load it outside Nest's path mapping.
 */

/** A tenant uid: 32 lowercase hex characters, the only tenant part of any physical name. */
export const TENANT_UID = /^[0-9a-f]{32}$/;

/** The stored field (payload key, scalar column, metadata key) naming a record's tenant. */
export const TENANT_FIELD = '_vg_tenant';

/**
 * What a backend's search reports for a match, per metric. vecgate's score is always
 * higher-is-more-similar, so each kind has one conversion:
 * - `similarity`: already a similarity (cosine, dot product);
 * - `distance_from_one`: 1 − similarity (usearch's cosine and inner-product distances);
 * - `distance`: a euclidean distance, negated;
 * - `squared_distance`: a squared euclidean distance, negated root.
 */
export type RawScoreKind = 'similarity' | 'distance_from_one' | 'distance' | 'squared_distance';

/** A backend's reporting, one entry per metric, so a new metric does not compile without one. */
export type RawScores = { readonly [M in MetricName]: RawScoreKind };

export function toScore(kinds: RawScores, metric: MetricName, raw: number): number {
  const kind = kinds[metric];
  switch (kind) {
    case 'similarity':
      return raw;
    case 'distance_from_one':
      return 1 - raw;
    case 'distance':
      return -raw;
    case 'squared_distance':
      return -Math.sqrt(Math.max(0, raw));
  }
}
