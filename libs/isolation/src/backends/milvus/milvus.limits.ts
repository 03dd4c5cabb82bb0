import { CapacityError } from '@vecgate/core';
import { StrategyCapability } from '../../ports/backend-admin';
import { MilvusLimits } from './milvus.options';

/** What provisioning a tenant would create: counted against the limits before anything is. */
export interface CreationPlan {
  readonly databases: number;
  readonly collections: number;
  /** A partition to add to a collection that holds `existing` partitions (`_default` too). */
  readonly partition?: { readonly collection: string; readonly existing: number };
}

/** What the cluster holds now. */
export interface Census {
  readonly databases: number;
  readonly collections: number;
}

export const LIMIT_NAMES = {
  databases: 'milvus.databases',
  collections: 'milvus.collections',
  partitions: 'milvus.partitions_per_collection',
} as const;

export function needsNothing(plan: CreationPlan): boolean {
  return plan.databases === 0 && plan.collections === 0 && plan.partition === undefined;
}

/** The first limit the plan would exceed, as the 507 to answer; undefined when it fits. */
export function capacityError(
  limits: MilvusLimits,
  plan: CreationPlan,
  census: Census,
): CapacityError | undefined {
  if (plan.databases > 0 && census.databases + plan.databases > limits.databases) {
    return new CapacityError(
      `Milvus database limit reached: ${census.databases} of ${limits.databases} databases ` +
        `exist, the default one included (MILVUS_MAX_DATABASES)`,
      LIMIT_NAMES.databases,
    );
  }
  if (plan.collections > 0 && census.collections + plan.collections > limits.collections) {
    return new CapacityError(
      `Milvus collection limit reached: ${census.collections} of ${limits.collections} ` +
        `collections exist (MILVUS_MAX_COLLECTIONS)`,
      LIMIT_NAMES.collections,
    );
  }
  const partition = plan.partition;
  if (partition && partition.existing + 1 > limits.partitionsPerCollection) {
    return new CapacityError(
      `Milvus partition limit reached: collection ${partition.collection} holds ` +
        `${partition.existing} of ${limits.partitionsPerCollection} partitions, _default ` +
        `included (MILVUS_MAX_PARTITIONS)`,
      LIMIT_NAMES.partitions,
    );
  }
  return undefined;
}

/**
 * Tenants each strategy can hold: the `default` database and each collection's `_default`
 * partition take one place of their limit.
 */
export function milvusCapabilities(limits: MilvusLimits): StrategyCapability[] {
  return [
    { strategy: 'database', limit: limits.databases - 1, limitName: LIMIT_NAMES.databases },
    { strategy: 'collection', limit: limits.collections, limitName: LIMIT_NAMES.collections },
    {
      strategy: 'partition',
      limit: limits.partitionsPerCollection - 1,
      limitName: LIMIT_NAMES.partitions,
    },
    { strategy: 'partition_key', limit: null },
  ];
}
