import type { Schemas } from '@qdrant/js-client-rest';
import type { TenantScope } from '@vecgate/isolation';
import type { RequestTrace } from '@vecgate/search';
import type { QdrantPoints } from './qdrant-points.service';

const DISTANCE = { cosine: 'Cosine', euclidean: 'Euclid', dot: 'Dot' } as const;

/**
 * A collection as Qdrant describes it. Only the vectors config and the point count are real;
 * the engine settings are Qdrant's defaults, reported because the client's types require them.
 */
export async function collectionInfo(
  scope: TenantScope,
  points: QdrantPoints,
  trace: RequestTrace,
): Promise<Schemas['CollectionInfo']> {
  const count = await points.countAll(scope, trace);
  return {
    status: 'green',
    optimizer_status: 'ok',
    points_count: count,
    indexed_vectors_count: count,
    segments_count: 1,
    config: {
      params: {
        vectors: { size: scope.space.dimension, distance: DISTANCE[scope.space.metric] },
        shard_number: 1,
        replication_factor: 1,
        write_consistency_factor: 1,
        on_disk_payload: true,
      },
      hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10_000 },
      optimizer_config: {
        deleted_threshold: 0.2,
        vacuum_min_vector_number: 1000,
        default_segment_number: 0,
        flush_interval_sec: 5,
      },
      wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
    },
    payload_schema: {},
  } satisfies Schemas['CollectionInfo'];
}
