import { BadRequestError, UnprocessableError } from '@vecgate/core';
import type { MetricName } from '@vecgate/isolation';
import { writeBatch } from '@vecgate/search';
import { requestOf } from './pinecone.requests';

/** Pinecone's metric names; vecgate calls the dot product `dot`. */
export type PineconeMetric = 'cosine' | 'euclidean' | 'dotproduct';

export function pineconeMetric(metric: MetricName): PineconeMetric {
  switch (metric) {
    case 'cosine':
    case 'euclidean':
      return metric;
    case 'dot':
      return 'dotproduct';
  }
}

/**
 * A score as Pinecone reports it. vecgate's score is higher-is-better (euclidean: the negated
 * distance); Pinecone's euclidean score is the squared distance, lower being closer, and its
 * cosine and dot-product scores are the similarity itself. The order of matches is unchanged.
 */
export function pineconeScore(metric: MetricName, score: number): number {
  switch (metric) {
    case 'cosine':
    case 'dot':
      return score;
    case 'euclidean':
      return score * score;
  }
}

type Body = Record<string, unknown>;

/** Fields vecgate does not serve (sparse vectors, integrated embedding): 400, named. */
export function refuseUnsupported(body: Body, fields: readonly string[], at: string): void {
  for (const field of fields) {
    if (body[field] !== undefined) {
      throw new BadRequestError(`${field} is not supported by this gateway`, `${at}${field}`);
    }
  }
}

/**
 * Pinecone metadata is flat: each value a string, a number, a boolean or a list of strings.
 * Checked here so that a nested object, refused by Pinecone, is refused the same way; sizes,
 * key names and reserved keys are then checked by vecgate's own rules.
 */
export function checkFlatMetadata(value: unknown, field: string): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BadRequestError('metadata must be an object', field);
  for (const [key, item] of Object.entries(value as Body)) {
    const flat =
      typeof item === 'string' ||
      typeof item === 'number' ||
      typeof item === 'boolean' ||
      (Array.isArray(item) && item.every((entry) => typeof entry === 'string'));
    if (!flat) {
      throw new BadRequestError(
        'metadata values must be strings, numbers, booleans or lists of strings',
        `${field}.${key}`,
      );
    }
  }
}

/** The records of an upsert, as vecgate's write takes them (values checked there). */
export function upsertRecords(raw: unknown): unknown[] {
  return writeBatch(raw).map((item: unknown, i) => {
    const at = `vectors[${i}]`;
    const record = requestOf(item, 'record', `${at}.`);
    refuseUnsupported(record, ['sparseValues'], `${at}.`);
    checkFlatMetadata(record.metadata, `${at}.metadata`);
    return record;
  });
}

/** The dimension and metric a createIndex asks for must be the tenant's own. */
export function checkIndexSpace(
  body: Body,
  space: { dimension: number; metric: MetricName },
): void {
  const metric = body.metric ?? 'cosine';
  if (body.dimension !== space.dimension) {
    throw new UnprocessableError(
      `dimension must be this tenant's dimension, ${space.dimension}`,
      'dimension',
    );
  }
  if (metric !== pineconeMetric(space.metric)) {
    throw new UnprocessableError(
      `metric must be this tenant's metric, ${pineconeMetric(space.metric)}`,
      'metric',
    );
  }
  if (body.vector_type !== undefined && body.vector_type !== 'dense')
    throw new BadRequestError('only dense indexes are served', 'vector_type');
  // Accepting it without honouring it would let a deletion through that the caller meant to stop.
  if (body.deletion_protection !== undefined && body.deletion_protection !== 'disabled')
    throw new BadRequestError('deletion protection is not supported', 'deletion_protection');
}
