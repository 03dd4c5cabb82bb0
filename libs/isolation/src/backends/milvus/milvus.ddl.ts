import { UnavailableError, UnprocessableError } from '@vecgate/core';
import type { DescribeCollectionResponse, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { VectorSpace } from '../../ports/vector.types';
import { answer, done, found, removed } from './milvus.client';
import { Census } from './milvus.limits';
import { MilvusOptions } from './milvus.options';
import { MilvusNamespaceField } from './milvus.namespace-field';
import {
  checkSchema,
  collectionFields,
  FIELD,
  hasNamespaceField,
  MILVUS_METRIC,
  VECTOR_INDEX_NAME,
} from './milvus.schema';

/** Strong: read-after-write for every read, whatever the SDK's default (`Bounded`). */
export const CONSISTENCY = 'Strong';

/**
 * The control-plane primitives on databases, collections, partitions and indexes. Every call
 * names its `db_name`; none goes through an SDK helper that drops it (the `createCollection`
 * shortcut with `index_params` and `loadCollectionSync` / `loadPartitionsSync` poll without
 * it), so indexes are created and loads awaited here.
 */
export class MilvusDdl {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: MilvusClient,
    private readonly options: MilvusOptions,
    private readonly namespaces: MilvusNamespaceField,
  ) {}

  async databases(): Promise<string[]> {
    const res = await answer('list databases', () => this.client.listDatabases());
    return [...res.db_names];
  }

  /** The collections of a database, or undefined when the database does not exist. */
  async collections(database: string): Promise<string[] | undefined> {
    const res = await found('list collections', () =>
      this.client.showCollections({ db_name: database }),
    );
    return res?.data.map((c) => c.name);
  }

  /** Databases and collections of the whole cluster (the collection limit is cluster-wide). */
  async census(): Promise<Census> {
    const databases = await this.databases();
    let collections = 0;
    for (const database of databases)
      collections += (await this.collections(database))?.length ?? 0;
    return { databases: databases.length, collections };
  }

  /** The partitions of a collection, or undefined when the collection does not exist. */
  async partitions(database: string, collection: string): Promise<string[] | undefined> {
    const res = await found('list partitions', () =>
      this.client.listPartitions({ db_name: database, collection_name: collection }),
    );
    return res ? [...res.partition_names] : undefined;
  }

  async describe(
    database: string,
    collection: string,
  ): Promise<DescribeCollectionResponse | undefined> {
    return found('describe collection', () =>
      this.client.describeCollection({ db_name: database, collection_name: collection }),
    );
  }

  /** Creates the database when missing; true when this call created it. */
  async ensureDatabase(database: string): Promise<boolean> {
    if ((await this.databases()).includes(database)) return false;
    await done('create database', () => this.client.createDatabase({ db_name: database }));
    return true;
  }

  /** Drops the database's collections first, as Milvus requires, then the database. */
  async dropDatabase(database: string): Promise<void> {
    const collections = await this.collections(database);
    if (collections === undefined) return;
    for (const collection of collections) await this.dropCollection(database, collection);
    await removed('drop database', () => this.client.dropDatabase({ db_name: database }));
  }

  async dropCollection(database: string, collection: string): Promise<void> {
    await removed('drop collection', () =>
      this.client.dropCollection({ db_name: database, collection_name: collection }),
    );
  }

  /**
   * Creates, indexes and loads the collection, or checks the existing one has the expected
   * schema and metric (and adds `_vg_ns` to one made before namespaces). `onCreated` runs as soon as the collection exists, so a failure of the
   * index or the load can still roll it back. One at a time per collection in this process.
   */
  async ensureCollection(
    database: string,
    collection: string,
    space: VectorSpace,
    partitionKey: boolean,
    onCreated?: () => void,
  ): Promise<void> {
    await this.exclusive(`${database}/${collection}`, async () => {
      const existing = await this.describe(database, collection);
      if (existing) {
        checkSchema(existing, collection, space, partitionKey);
        if (hasNamespaceField(existing)) this.namespaces.markPresent(database, collection);
        else await this.namespaces.add(database, collection);
      } else if (await this.createCollection(database, collection, space, partitionKey)) {
        onCreated?.();
      }
      const metric = await this.indexMetric(database, collection);
      if (metric === undefined) await this.createIndex(database, collection, space);
      else if (metric !== MILVUS_METRIC[space.metric]) {
        throw new UnprocessableError(
          `Milvus collection ${collection} is indexed for ${metric}, not ${MILVUS_METRIC[space.metric]}`,
          'metric',
        );
      }
      await done('load collection', () =>
        this.client.loadCollectionAsync({ db_name: database, collection_name: collection }),
      );
      await this.waitLoaded(database, collection);
    });
  }

  /** Creates and loads the partition when missing; true when this call created it. */
  async ensurePartition(
    database: string,
    collection: string,
    partition: string,
    onCreated?: () => void,
  ): Promise<void> {
    const names = { db_name: database, collection_name: collection };
    const has = await answer('has partition', () =>
      this.client.hasPartition({ ...names, partition_name: partition }),
    );
    if (!has.value) {
      await done('create partition', () =>
        this.client.createPartition({ ...names, partition_name: partition }),
      );
      onCreated?.();
    }
    await done('load partition', () =>
      this.client.loadPartitions({ ...names, partition_names: [partition] }),
    );
    await this.waitLoaded(database, collection, partition);
  }

  /** Milvus refuses to drop a loaded partition: release it first. Missing is fine. */
  async dropPartition(database: string, collection: string, partition: string): Promise<void> {
    const names = { db_name: database, collection_name: collection };
    await removed('release partition', () =>
      this.client.releasePartitions({ ...names, partition_names: [partition] }),
    );
    await removed('drop partition', () =>
      this.client.dropPartition({ ...names, partition_name: partition }),
    );
  }

  async hasPartition(database: string, collection: string, partition: string): Promise<boolean> {
    const has = await found('has partition', () =>
      this.client.hasPartition({
        db_name: database,
        collection_name: collection,
        partition_name: partition,
      }),
    );
    return has?.value === true;
  }

  /**
   * True when this call created the collection. When the create fails because another
   * gateway replica created the same collection meanwhile, its schema is checked and the
   * collection is used (and never rolled back by this call).
   */
  private async createCollection(
    database: string,
    collection: string,
    space: VectorSpace,
    partitionKey: boolean,
  ): Promise<boolean> {
    try {
      await done('create collection', () =>
        this.client.createCollection({
          db_name: database,
          collection_name: collection,
          description: 'vecgate records',
          fields: collectionFields(space.dimension, partitionKey).map((f) => ({ ...f })),
          consistency_level: CONSISTENCY,
          enable_dynamic_field: false,
        }),
      );
      this.namespaces.markPresent(database, collection);
      return true;
    } catch (err) {
      const existing = await this.describe(database, collection).catch(() => undefined);
      if (!existing) throw err;
      checkSchema(existing, collection, space, partitionKey);
      if (!hasNamespaceField(existing)) await this.namespaces.add(database, collection);
      else this.namespaces.markPresent(database, collection);
      return false;
    }
  }

  private async createIndex(
    database: string,
    collection: string,
    space: VectorSpace,
  ): Promise<void> {
    await done('create index', () =>
      this.client.createIndex({
        db_name: database,
        collection_name: collection,
        field_name: FIELD.vector,
        index_name: VECTOR_INDEX_NAME,
        index_type: this.options.indexType,
        metric_type: MILVUS_METRIC[space.metric],
      }),
    );
  }

  /** The metric of the vector index, or undefined when there is no index yet. */
  private async indexMetric(database: string, collection: string): Promise<string | undefined> {
    const res = await found('describe index', () =>
      this.client.describeIndex({
        db_name: database,
        collection_name: collection,
        field_name: FIELD.vector,
      }),
    );
    const params = res?.index_descriptions.find((d) => d.field_name === FIELD.vector)?.params;
    if (!res || !params) return undefined;
    const metric = params.find((p) => p.key === 'metric_type')?.value;
    return metric === undefined ? undefined : String(metric);
  }

  /** Polls the load state (with `db_name`) until loaded, within `loadTimeoutMs`. */
  private async waitLoaded(
    database: string,
    collection: string,
    partition?: string,
  ): Promise<void> {
    const deadline = Date.now() + this.options.loadTimeoutMs;
    for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
      const res = await answer('get load state', () =>
        this.client.getLoadState({
          db_name: database,
          collection_name: collection,
          ...(partition ? { partition_names: [partition] } : {}),
        }),
      );
      if (String(res.state) === 'LoadStateLoaded') return;
      if (Date.now() + pause > deadline) {
        throw new UnavailableError(
          `Milvus did not load ${collection} within ${this.options.loadTimeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    this.locks.set(key, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === run) this.locks.delete(key);
    }
  }
}
