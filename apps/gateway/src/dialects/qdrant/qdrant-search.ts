import type { Schemas } from '@qdrant/js-client-rest';
import { BadRequestError } from '@vecgate/core';
import type { MetricName, TenantScope } from '@vecgate/isolation';
import {
  LIMITS,
  MatchView,
  RequestTrace,
  VectorService,
  withinAnswerFloats,
} from '@vecgate/search';
import { QDRANT_FIELDS, refuseUnknown } from './qdrant-fields';
import { FieldCheck, translateFilter } from './qdrant-filter';
import { pointIdOf } from './qdrant-ids';
import { MMR_BUDGET, mmrSelect } from './qdrant-mmr';
import { pointShape, PointShape, shownPayload, shownVector } from './qdrant-payload';

/** A nearest-neighbour request, from `points/query` or `points/search`. */
export interface NearestRequest {
  readonly vector: unknown;
  readonly mmr?: { readonly diversity?: unknown; readonly candidates_limit?: unknown };
  readonly filter?: unknown;
  readonly limit?: unknown;
  readonly offset?: unknown;
  readonly with_payload?: unknown;
  readonly with_vector?: unknown;
  readonly score_threshold?: unknown;
  readonly using?: unknown;
  readonly params?: unknown;
}

/**
 * Qdrant's nearest-neighbour search through `VectorService.search`: `limit` + `offset` is the
 * v1 `topK`, the filter is translated, scores are reported as Qdrant does (a euclidean score
 * is the distance, lower is closer; cosine and dot are similarities), and MMR re-ranks a
 * bounded set of candidates fetched with their vectors.
 */
export async function nearest(
  vectors: VectorService,
  scope: TenantScope,
  request: NearestRequest,
  trace: RequestTrace,
  check: FieldCheck,
): Promise<Schemas['ScoredPoint'][]> {
  if (request.using !== undefined && request.using !== null && request.using !== '')
    throw new BadRequestError('only the default (unnamed) vector exists', 'using');
  const limit = count(request.limit, 'limit', 10, 1);
  const offset = count(request.offset, 'offset', 0, 0);
  const wanted = limit + offset;
  if (wanted > LIMITS.maxTopK)
    throw new BadRequestError(`limit + offset is at most ${LIMITS.maxTopK}`, 'limit');
  const shape = pointShape(request.with_payload, request.with_vector, false);
  const threshold = request.score_threshold;
  // JSON's 1e999 parses to Infinity: a bound that keeps every point, or none, is refused.
  if (
    threshold !== undefined &&
    threshold !== null &&
    (typeof threshold !== 'number' || !Number.isFinite(threshold))
  )
    throw new BadRequestError('must be a finite number', 'score_threshold');
  const euclidean = scope.space.metric === 'euclidean';
  const candidates = request.mmr ? mmrCandidates(request.mmr, wanted, scope) : undefined;
  // v1 bounds the floats of a search with values and would name its own topK.
  if (candidates)
    withinAnswerFloats(candidates.limit, scope.space.dimension, 'query.mmr.candidates_limit');
  else if (shape.vector) withinAnswerFloats(wanted, scope.space.dimension, 'limit');
  const { matches } = await vectors.search(
    scope,
    {
      vector: request.vector,
      topK: candidates?.limit ?? wanted,
      filter: translateFilter(request.filter, check),
      includeMetadata: shape.payload !== false,
      includeValues: shape.vector || candidates !== undefined,
      ...(searchParams(request.params).exact === true ? { exact: true } : {}),
    },
    trace,
  );
  const ranked = candidates
    ? (
        await mmrSelect(
          request.vector as number[],
          matches as Required<MatchView>[],
          wanted,
          candidates.diversity,
        )
      ).map((i) => matches[i] as MatchView)
    : matches;
  return ranked
    .slice(offset)
    .map((m) => scored(m, shape, scope.space.metric))
    .filter((p): p is Schemas['ScoredPoint'] => p !== undefined)
    .filter(
      (p) =>
        typeof threshold !== 'number' || (euclidean ? p.score <= threshold : p.score >= threshold),
    );
}

function mmrCandidates(
  mmr: NonNullable<NearestRequest['mmr']>,
  wanted: number,
  scope: TenantScope,
): { limit: number; diversity: number } {
  const diversity = mmr.diversity ?? 0.5;
  if (typeof diversity !== 'number' || !(diversity >= 0 && diversity <= 1))
    throw new BadRequestError('must be a number from 0 to 1', 'query.mmr.diversity');
  const limit = Math.max(
    count(mmr.candidates_limit, 'query.mmr.candidates_limit', wanted, 1),
    wanted,
  );
  if (limit > LIMITS.maxTopK || wanted * limit * scope.space.dimension > MMR_BUDGET) {
    throw new BadRequestError(
      `(limit + offset) × candidates_limit × dimension is at most ${MMR_BUDGET} ` +
        `(candidates_limit at most ${LIMITS.maxTopK})`,
      'query.mmr.candidates_limit',
    );
  }
  return { limit, diversity };
}

function scored(
  m: MatchView,
  shape: PointShape,
  metric: MetricName,
): Schemas['ScoredPoint'] | undefined {
  const id = pointIdOf(m.id);
  if (id === undefined) return undefined;
  return {
    id,
    version: 0,
    score: metric === 'euclidean' ? -m.score : m.score,
    payload: shownPayload(m.metadata, shape),
    vector: shape.vector ? shownVector(m.values, metric) : null,
  } satisfies Schemas['ScoredPoint'];
}

/**
 * Qdrant's search `params`: typed as Qdrant types them. `exact` reaches the v1 search (an exact
 * scan even where an approximate index would answer); the index tuning changes nothing here.
 */
function searchParams(params: unknown): { exact?: boolean } {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params))
    throw new BadRequestError('must be an object', 'params');
  refuseUnknown(params, QDRANT_FIELDS.params, 'params.', 'search params');
  const p = params as Record<string, unknown>;
  for (const flag of ['exact', 'indexed_only'])
    if (p[flag] !== undefined && p[flag] !== null && typeof p[flag] !== 'boolean')
      throw new BadRequestError('must be a boolean', `params.${flag}`);
  count(p.hnsw_ef, 'params.hnsw_ef', 0, 0);
  return p.exact === true ? { exact: true } : {};
}

/** A non-negative integer option with its default. */
export function count(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new BadRequestError(`must be an integer of at least ${min}`, field);
  return value;
}
