import { RawScores } from '../../ports/backend-rules';
import { Metadata, ReadOptions, StoredRecord, VectorSpace } from '../../ports/vector.types';
import { NAMESPACE_COLUMN, TENANT_COLUMN } from './pgvector.schema';

/** A row as the data plane selects it (`readColumns`), with `raw` in searches. */
export interface Row {
  readonly tenant: string;
  readonly namespace: string;
  readonly id: string;
  readonly embedding?: string;
  readonly metadata?: Metadata | null;
  readonly raw?: number;
}

/** The stored tenant uid and namespace always, values and metadata when asked for. */
export function readColumns(options: ReadOptions): string {
  const columns = [`${TENANT_COLUMN} AS tenant`, `${NAMESPACE_COLUMN} AS namespace`, 'id'];
  if (options.includeValues) columns.push('embedding::text AS embedding');
  if (options.includeMetadata) columns.push('metadata');
  return columns.join(', ');
}

/** The record as stored: its uid and namespace are the row's, never the scope's. */
export function toStored(row: Row, options: ReadOptions): StoredRecord {
  return {
    id: row.id,
    tenantUid: row.tenant,
    namespace: row.namespace,
    ...(options.includeValues && row.embedding !== undefined
      ? { values: parseVector(row.embedding) }
      : {}),
    ...(options.includeMetadata && row.metadata ? { metadata: row.metadata } : {}),
  };
}

/** What `rawScore` selects: similarities, and the plain euclidean distance. */
export const PGVECTOR_SCORES: RawScores = {
  cosine: 'similarity',
  dot: 'similarity',
  euclidean: 'distance',
};

/**
 * What pgvector's operator gives, turned into what `toScore` takes: the cosine similarity
 * (1 − cosine distance), the dot product (`<#>` is its negation) or the euclidean distance.
 * `vector` is the bound parameter holding the query vector.
 */
export function rawScore(space: VectorSpace, op: string, vector: string): string {
  const distance = `(embedding ${op} ${vector}::vector)`;
  switch (space.metric) {
    case 'cosine':
      return `1 - ${distance}`;
    case 'dot':
      return `-${distance}`;
    case 'euclidean':
      return distance;
  }
}

/** pgvector's text form, `[1,2.5,-3]`. A float32 prints exactly as a double and reads back. */
export function vectorText(values: Float32Array): string {
  return `[${Array.from(values).join(',')}]`;
}

function parseVector(text: string): Float32Array {
  const inner = text.slice(1, -1);
  return inner === '' ? new Float32Array(0) : Float32Array.from(inner.split(','), Number);
}

export function metadataText(metadata: Metadata | undefined): string | null {
  return metadata === undefined ? null : JSON.stringify(metadata);
}
