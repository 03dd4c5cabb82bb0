import { BackendError, UnavailableError } from '@vecgate/core';
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { answer, done } from './milvus.client';
import { MilvusLocation } from './milvus.naming';
import { hasNamespaceField, NAMESPACE_FIELD } from './milvus.schema';

/**
 * The in-place upgrade of collections made before namespaces: the first time this process
 * uses a collection, it describes it and, when `_vg_ns` is missing, adds it (`addCollectionField`,
 * Milvus 2.6 and later) as a nullable VarChar whose default is the default namespace, so every
 * existing row reads `""` and belongs to the default namespace, with its key unchanged. Nothing
 * is rewritten and no step is manual. Collections this process created or checked while
 * provisioning are known already and cost nothing.
 *
 * The describe is a fresh one, which also refreshes the SDK's cache that upsert and search
 * build their requests from. The set of known collections grows with the collections in use,
 * which the cluster's collection limit bounds.
 */
export class MilvusNamespaceField {
  private readonly known = new Set<string>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly client: MilvusClient) {}

  /** Resolves once the collection has `_vg_ns`, adding it when missing; one upgrade at a time. */
  async ensure(location: MilvusLocation): Promise<void> {
    const key = keyOf(location.database, location.collection);
    if (this.known.has(key)) return;
    let run = this.pending.get(key);
    if (!run) {
      run = this.upgrade(location.database, location.collection).finally(() =>
        this.pending.delete(key),
      );
      this.pending.set(key, run);
    }
    await run;
  }

  /** Records that the collection has `_vg_ns` (just created, or checked by provisioning). */
  markPresent(database: string, collection: string): void {
    this.known.add(keyOf(database, collection));
  }

  /**
   * Adds the field when the description lacks it. Another gateway replica may add it at the
   * same moment: Milvus then refuses the second add (a duplicated field name), and a fresh
   * description that shows the field settles it.
   */
  async add(database: string, collection: string): Promise<void> {
    const names = { db_name: database, collection_name: collection };
    try {
      await done('add namespace field', () =>
        this.client.addCollectionField({ ...names, field: { ...NAMESPACE_FIELD } }),
      );
    } catch (err) {
      if (hasNamespaceField(await this.describe(database, collection))) {
        this.markPresent(database, collection);
        return;
      }
      if (err instanceof UnavailableError) throw err;
      const error = new BackendError(
        `Milvus could not add the namespace field to collection ${collection} (adding a field ` +
          'to an existing collection needs Milvus 2.6 or later)',
        { reason: 'milvus_error' },
      );
      error.cause = err;
      throw error;
    }
    this.markPresent(database, collection);
  }

  private async upgrade(database: string, collection: string): Promise<void> {
    const described = await this.describe(database, collection);
    if (hasNamespaceField(described)) this.markPresent(database, collection);
    else await this.add(database, collection);
  }

  private describe(database: string, collection: string) {
    return answer('describe collection', () =>
      this.client.describeCollection({ db_name: database, collection_name: collection }),
    );
  }
}

function keyOf(database: string, collection: string): string {
  return `${database}/${collection}`;
}
