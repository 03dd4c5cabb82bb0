import { randomBytes } from 'node:crypto';
import {
  makeTenantScope,
  MetricName,
  StrategyName,
  TenantScope,
  VectorBackendDriver,
} from '@vecgate/isolation';
import { QDRANT_DEFAULTS, QdrantOptions } from '@vecgate/isolation/backends/qdrant';

export const SPACES = [8, 12].flatMap((dimension) =>
  (['cosine', 'euclidean', 'dot'] as const).map((metric) => ({ dimension, metric })),
);

/** Options for a backend talking to a stub: every test space mapped for both shared strategies. */
export function stubOptions(url: string, extra: Partial<QdrantOptions> = {}): QdrantOptions {
  return {
    url,
    sharedCollections: SPACES.map((s) => ({
      ...s,
      collection: `shared_${s.dimension}_${s.metric}`,
    })),
    shardedCollections: SPACES.map((s) => ({
      ...s,
      collection: `sharded_${s.dimension}_${s.metric}`,
    })),
    ...QDRANT_DEFAULTS,
    ...extra,
  };
}

export function newUid(): string {
  return randomBytes(16).toString('hex');
}

/** A planned (not provisioned) scope, as the tenancy module would build it. */
export function scopeOn(
  driver: VectorBackendDriver,
  strategy: StrategyName,
  dimension = 8,
  metric: MetricName = 'cosine',
  tenantUid = newUid(),
  tenantId = `t-${tenantUid.slice(0, 6)}`,
): TenantScope {
  const space = { dimension, metric };
  const placement = driver.plan({ tenantId, tenantUid, strategy, space });
  return makeTenantScope({ tenantId, tenantUid, placement, space });
}
