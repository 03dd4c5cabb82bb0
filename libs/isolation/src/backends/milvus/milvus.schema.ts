import { UnprocessableError } from '@vecgate/core';
import { RawScores, TENANT_FIELD } from '../../ports/backend-rules';
import { comparableFields } from '../../ports/metadata-fields';
import type { DescribeCollectionResponse } from '@zilliz/milvus2-sdk-node';
import {
  DEFAULT_NAMESPACE,
  MAX_NAMESPACE_LENGTH,
  Metadata,
  MetricName,
  VectorSpace,
  VectorWrite,
} from '../../ports/vector.types';
import { encodePrimaryKey } from './milvus.naming';
import { MILVUS_METADATA_CAPACITY } from './milvus.options';

/**
 * Storage fields of every vecgate collection. User metadata keys cannot start with `_vg`
 * (reserved), so no metadata key can collide with them; the filter index below is the only
 * place user keys appear, always as JSON keys inside `_vg_filter`.
 */
export const FIELD = {
  pk: '_vg_pk',
  tenant: TENANT_FIELD,
  id: '_vg_id',
  vector: '_vg_vector',
  metadata: '_vg_meta',
  filter: '_vg_filter',
  namespace: '_vg_ns',
} as const;

export const VECTOR_INDEX_NAME = '_vg_vector_index';

/** Byte bounds of the VarChar fields (Milvus counts `max_length` in bytes). */
export const MAX_ID_BYTES = 2048;
const UID_BYTES = 32;
export const MAX_PK_BYTES = UID_BYTES + 1 + MAX_ID_BYTES;

export const MILVUS_METRIC: Record<MetricName, 'COSINE' | 'L2' | 'IP'> = {
  cosine: 'COSINE',
  euclidean: 'L2',
  dot: 'IP',
};

/** The field definitions of a vecgate collection, in the shape `createCollection` takes. */
export interface MilvusFieldDefinition {
  readonly name: string;
  readonly data_type: 'VarChar' | 'FloatVector' | 'JSON';
  readonly is_primary_key?: boolean;
  readonly is_partition_key?: boolean;
  readonly max_length?: number;
  readonly dim?: number;
  readonly nullable?: boolean;
  readonly default_value?: string;
}

/**
 * `_vg_ns`, the record's namespace. Nullable with the default namespace as its default value,
 * because that is the one shape Milvus (2.6 and later) lets a field be added to an existing
 * collection in: a collection made before namespaces gets it in place (`MilvusNamespaceField`)
 * and its existing rows then read the default, which is the namespace they belong to. New
 * collections are created with the same definition, so both kinds look alike.
 */
export const NAMESPACE_FIELD: MilvusFieldDefinition = {
  name: FIELD.namespace,
  data_type: 'VarChar',
  max_length: MAX_NAMESPACE_LENGTH,
  nullable: true,
  default_value: DEFAULT_NAMESPACE,
};

/**
 * `_vg_tenant` is the partition-key field of a partition_key collection, so Milvus hashes
 * each tenant's rows into a few physical partitions and prunes the others at search time.
 */
export function collectionFields(
  dimension: number,
  partitionKey: boolean,
): MilvusFieldDefinition[] {
  return [
    { name: FIELD.pk, data_type: 'VarChar', is_primary_key: true, max_length: MAX_PK_BYTES },
    {
      name: FIELD.tenant,
      data_type: 'VarChar',
      max_length: UID_BYTES,
      ...(partitionKey ? { is_partition_key: true } : {}),
    },
    { name: FIELD.id, data_type: 'VarChar', max_length: MAX_ID_BYTES },
    { name: FIELD.vector, data_type: 'FloatVector', dim: dimension },
    { name: FIELD.metadata, data_type: 'JSON' },
    { name: FIELD.filter, data_type: 'JSON' },
    NAMESPACE_FIELD,
  ];
}

/**
 * A derived, typed view of the metadata that filters run against, so that the filter
 * semantics of the design hold on Milvus without relying on how Milvus compares mixed JSON
 * types: for each field name the metadata answers with a string, number, boolean or array
 * (`comparableFields`: top-level keys, and dotted names resolved literal key first, else
 * nested path), its scalar values by type (array elements count one by one; nested arrays,
 * objects and nulls are not comparable) and the least and greatest number (a range holds for
 * some element exactly when it holds for the greatest or the least one). `keys` lists the
 * comparable names, which `$ne`, `$nin` and `$exists` look at: a missing field matches no
 * comparison.
 */
export interface FilterIndex {
  keys: string[];
  str?: Record<string, string[]>;
  num?: Record<string, number[]>;
  bool?: Record<string, boolean[]>;
  min?: Record<string, number>;
  max?: Record<string, number>;
}

export function filterIndexOf(metadata: Metadata | undefined): FilterIndex {
  // Maps, then Object.fromEntries: a key such as `__proto__` stays an own property.
  const keys: string[] = [];
  const str = new Map<string, string[]>();
  const num = new Map<string, number[]>();
  const bool = new Map<string, boolean[]>();
  for (const [key, value] of comparableFields(metadata)) {
    keys.push(key);
    for (const element of Array.isArray(value) ? value : [value]) {
      if (typeof element === 'string') append(str, key, element);
      else if (typeof element === 'number') append(num, key, element);
      else if (typeof element === 'boolean') append(bool, key, element);
    }
  }
  const index: FilterIndex = { keys };
  if (str.size > 0) index.str = Object.fromEntries(str);
  if (bool.size > 0) index.bool = Object.fromEntries(bool);
  if (num.size > 0) {
    index.num = Object.fromEntries(num);
    index.min = Object.fromEntries([...num].map(([key, list]) => [key, Math.min(...list)]));
    index.max = Object.fromEntries([...num].map(([key, list]) => [key, Math.max(...list)]));
  }
  return index;
}

/**
 * The index as a row stores it. Its JSON repeats field names (in `keys` and per type), so it
 * can outgrow metadata that fits: past Milvus's JSON field limit it is a 422, not Milvus's error.
 */
function storableFilterIndex(metadata: Metadata, field: string): FilterIndex {
  const index = filterIndexOf(metadata);
  const size = Buffer.byteLength(JSON.stringify(index));
  if (size > MILVUS_METADATA_CAPACITY) {
    throw new UnprocessableError(
      `a record's metadata needs a ${size}-byte filter index on Milvus, whose JSON fields hold ${MILVUS_METADATA_CAPACITY}: use fewer or shorter field names`,
      field,
    );
  }
  return index;
}

/** Adds a value once: repeats change no comparison and only cost bytes. */
function append<T>(groups: Map<string, T[]>, key: string, value: T): void {
  const list = groups.get(key);
  if (!list) groups.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

/** One record as the row Milvus stores: tenant uid, caller's id, vector, metadata. */
export interface MilvusRow {
  [field: string]: string | number[] | Metadata | FilterIndex;
}

/**
 * The longest id (UTF-8 bytes) a namespace can hold: the primary key stays within
 * `MAX_PK_BYTES`, the width of `_vg_pk` in every collection, those made before namespaces too,
 * so a named namespace's `/<namespace>/` takes its length plus one from the id's 2,048 bytes.
 */
export function maxIdBytes(namespace: string): number {
  return MAX_PK_BYTES - Buffer.byteLength(encodePrimaryKey(UID_PLACEHOLDER, namespace, ''));
}

const UID_PLACEHOLDER = '0'.repeat(UID_BYTES);

export function toRow(
  uid: string,
  namespace: string,
  record: VectorWrite,
  field = 'vectors',
): MilvusRow {
  const max = maxIdBytes(namespace);
  if (Buffer.byteLength(record.id, 'utf8') > max) {
    const where = namespace === DEFAULT_NAMESPACE ? '' : ` in namespace ${namespace}`;
    throw new UnprocessableError(`a record id is at most ${max} bytes on Milvus${where}`, field);
  }
  const metadata = record.metadata ?? {};
  return {
    [FIELD.pk]: encodePrimaryKey(uid, namespace, record.id),
    [FIELD.tenant]: uid,
    [FIELD.namespace]: namespace,
    [FIELD.id]: record.id,
    [FIELD.vector]: Array.from(record.values),
    [FIELD.metadata]: metadata,
    [FIELD.filter]: storableFilterIndex(metadata, field),
  };
}

/**
 * Milvus scores: COSINE is the cosine similarity and IP the dot product (higher is more
 * similar already); L2 is the squared euclidean distance, so the score is its negated root.
 */
export const MILVUS_SCORES: RawScores = {
  cosine: 'similarity',
  dot: 'similarity',
  euclidean: 'squared_distance',
};

/** True when the collection has `_vg_ns` (made, or upgraded, since namespaces exist). */
export function hasNamespaceField(described: DescribeCollectionResponse): boolean {
  return described.schema.fields.some((f) => f.name === FIELD.namespace);
}

/**
 * Refuses an existing collection whose fields are not the ones vecgate writes. `_vg_ns` may be
 * missing (a collection made before namespaces, upgraded in place on first use); when present
 * it must be the nullable VarChar vecgate adds.
 */
export function checkSchema(
  described: DescribeCollectionResponse,
  collection: string,
  space: VectorSpace,
  partitionKey: boolean,
): void {
  const fields = new Map(described.schema.fields.map((f) => [f.name, f]));
  const problems = collectionFields(space.dimension, partitionKey).flatMap(
    (want: MilvusFieldDefinition) => {
      const got = fields.get(want.name);
      if (!got) return want === NAMESPACE_FIELD ? [] : [`no field ${want.name}`];
      const wrong: string[] = [];
      if (String(got.data_type) !== want.data_type) wrong.push(`${want.name} is ${got.data_type}`);
      if (want.dim !== undefined && Number(got.dim) !== want.dim)
        wrong.push(`${want.name} has dimension ${Number(got.dim)}`);
      if (!!want.is_primary_key !== !!got.is_primary_key)
        wrong.push(`${want.name} primary key mismatch`);
      if (!!want.is_partition_key !== !!got.is_partition_key)
        wrong.push(`${want.name} partition key mismatch`);
      if (want.nullable && got.nullable !== true) wrong.push(`${want.name} is not nullable`);
      return wrong;
    },
  );
  if (problems.length > 0) {
    throw new UnprocessableError(
      `Milvus collection ${collection} exists with another schema (${problems.join('; ')})`,
      'dimension',
    );
  }
}
