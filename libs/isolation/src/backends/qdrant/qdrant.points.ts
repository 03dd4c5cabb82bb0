import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import { BackendError, UnavailableError } from '@vecgate/core';
import { assertNotAborted } from '../../ports/call-signal';
import type { CallOptions } from '../../ports/vector.types';
import { qdrantCall } from './qdrant.errors';
import { QdrantFilter } from './qdrant.filter';
import { QdrantLocation } from './qdrant.naming';

/** Vector values per upsert request, so a batch stays well under Qdrant's 32 MiB body limit. */
const MAX_VALUES_PER_REQUEST = 1_000_000;

/**
 * Point writes, counts and deletes in one location. Writes wait for Qdrant to apply them, and
 * a partition tenant's calls always name its shard key.
 */
export class QdrantPoints {
  constructor(private readonly client: QdrantClient) {}

  /** Upserts in requests of bounded size (`valuesPerPoint` floats each point sends). */
  async upsert(
    location: QdrantLocation,
    points: readonly Schemas['PointStruct'][],
    valuesPerPoint: number,
    operation = 'upsert points',
    call?: CallOptions,
  ): Promise<void> {
    const perRequest = Math.max(1, Math.floor(MAX_VALUES_PER_REQUEST / valuesPerPoint));
    for (let start = 0; start < points.length; start += perRequest) {
      // Between requests, not during one: a chunk sent is applied and answered as applied.
      assertNotAborted(call);
      const chunk = points.slice(start, start + perRequest);
      const result = await qdrantCall(operation, () =>
        this.client.upsert(location.collection, {
          wait: true,
          points: chunk,
          ...shardSelector(location),
        }),
      );
      assertCompleted(operation, result);
    }
  }

  async count(location: QdrantLocation, filter: QdrantFilter): Promise<number> {
    const result = await qdrantCall('count points', () =>
      this.client.count(location.collection, { filter, exact: true, ...shardSelector(location) }),
    );
    return result.count;
  }

  async deleteWhere(location: QdrantLocation, filter: QdrantFilter): Promise<void> {
    // The client sends no `wait` unless given one (its delete has no default, unlike upsert).
    const result = await qdrantCall('delete points', () =>
      this.client.delete(location.collection, { wait: true, filter, ...shardSelector(location) }),
    );
    assertCompleted('delete points', result);
  }

  /** Deletes what the filter matches, then counts what is left (0 once it is all gone). */
  async deleteAndVerify(location: QdrantLocation, filter: QdrantFilter): Promise<number> {
    let remaining = await this.count(location, filter);
    if (remaining > 0) {
      await this.deleteWhere(location, filter);
      remaining = await this.count(location, filter);
    }
    return remaining;
  }
}

/** `{shard_key}` for a partition tenant: its calls go to its own shards only. */
export function shardSelector(location: QdrantLocation): { shard_key?: string } {
  return location.shardKey === undefined ? {} : { shard_key: location.shardKey };
}

/** With `wait=true` Qdrant answers once the change is applied; anything else is a failure. */
function assertCompleted(operation: string, result: Schemas['UpdateResult']): void {
  if (result.status === 'completed') return;
  if (result.status === 'wait_timeout') {
    // Accepted but not applied yet: the caller may retry (upserts and deletes are idempotent).
    throw new UnavailableError(`Qdrant did not apply ${operation} in time; retry`);
  }
  throw new BackendError(`Qdrant did not complete ${operation} (status ${result.status})`);
}
