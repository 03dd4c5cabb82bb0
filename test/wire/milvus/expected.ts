import { MilvusStrategy } from '@vecgate/isolation/backends/milvus/milvus.naming';
import { tv } from './fixtures';
import { Message } from './stub';

// Literal expectations of the wire tests for tenant A (`0123...cdef`), kept out of the spec.

/** Where each strategy puts tenant A. */
export const PLACES: Record<
  MilvusStrategy,
  { database: string; collection: string; partition?: string }
> = {
  database: { database: 'vg_t_0123456789abcdef0123456789abcdef', collection: 'vg_records' },
  collection: { database: 'default', collection: 'vg_t_0123456789abcdef0123456789abcdef' },
  partition: {
    database: 'default',
    collection: 'vg_shared_4_cosine_part',
    partition: 'vg_t_0123456789abcdef0123456789abcdef',
  },
  partition_key: { database: 'default', collection: 'vg_shared_4_cosine' },
};

/** A census of the databases and collections, when the plan adds a collection or partition. */
const COLLECTION_CENSUS = [
  'ListDatabases',
  'ShowCollections',
  'ListDatabases',
  'ShowCollections',
  'ListDatabases',
];

/** Making the collection, its vector index, and loading it. */
const COLLECTION_CREATION = [
  'DescribeCollection',
  'CreateCollection',
  'DescribeIndex',
  'CreateIndex',
  'LoadCollection',
  'GetLoadState',
];

/** The RPCs of a first provisioning, in order: capacity plan and census, then creation. */
export const PROVISION_CALLS: Record<MilvusStrategy, string[]> = {
  database: [
    'ListDatabases',
    'ListDatabases',
    'ShowCollections',
    'ListDatabases',
    'CreateDatabase',
    ...COLLECTION_CREATION,
  ],
  collection: [...COLLECTION_CENSUS, ...COLLECTION_CREATION],
  partition: [
    ...COLLECTION_CENSUS,
    ...COLLECTION_CREATION,
    'HasPartition',
    'CreatePartition',
    'LoadPartitions',
    'GetLoadState',
  ],
  partition_key: [...COLLECTION_CENSUS, ...COLLECTION_CREATION],
};

/** The fields of the collection a strategy creates, as CreateCollection's schema carries them. */
export function expectedSchema(strategy: MilvusStrategy): Message[] {
  const base: Message[] = [
    field('_vg_pk', 'VarChar', [{ key: 'max_length', value: '2081' }], { is_primary_key: true }),
    field('_vg_tenant', 'VarChar', [{ key: 'max_length', value: '32' }], {
      is_partition_key: strategy === 'partition_key',
    }),
    field('_vg_id', 'VarChar', [{ key: 'max_length', value: '2048' }]),
    field('_vg_vector', 'FloatVector', [{ key: 'dim', value: '4' }]),
    field('_vg_meta', 'JSON', []),
    field('_vg_filter', 'JSON', []),
  ];
  return [...base, NAMESPACE_FIELD_SCHEMA];
}

/** A schema field as CreateCollection carries it: a plain, non-null column unless `keys` says. */
function field(
  name: string,
  data_type: string,
  type_params: Message[],
  keys: Message = {},
): Message {
  return {
    name,
    data_type,
    is_primary_key: false,
    is_partition_key: false,
    type_params,
    nullable: false,
    default_value: null,
    ...keys,
  };
}

/** `_vg_ns` as CreateCollection and AddCollectionField carry it: nullable, default `""`. */
export const NAMESPACE_FIELD_SCHEMA: Message = {
  name: '_vg_ns',
  data_type: 'VarChar',
  is_primary_key: false,
  is_partition_key: false,
  type_params: [{ key: 'max_length', value: '64' }],
  nullable: true,
  default_value: { string_data: '' },
};

/** What erasing the tenant `uid` sends, in order, and the place its report names. */
export function expectedErasure(
  strategy: MilvusStrategy,
  uid: string,
): { report: string; calls: [string, Message][] } {
  const own = {
    database: { database: `vg_t_${uid}`, collection: 'vg_records' },
    collection: { database: 'default', collection: `vg_t_${uid}` },
    partition: {
      database: 'default',
      collection: 'vg_shared_4_cosine_part',
      partition: `vg_t_${uid}`,
    },
    partition_key: { database: 'default', collection: 'vg_shared_4_cosine' },
  }[strategy];
  // The count of the tenant's rows left in a shared collection, which must be none.
  const remaining: [string, Message] = [
    'Query',
    {
      db_name: 'default',
      collection_name: own.collection,
      partition_names: [],
      expr: '(_vg_tenant == {vg_tenant})',
      expr_template_values: { vg_tenant: tv.str(uid) },
    },
  ];
  const expected: Record<MilvusStrategy, { report: string; calls: [string, Message][] }> = {
    database: {
      report: `milvus:vg_t_${uid}`,
      calls: [
        ['ShowCollections', { db_name: own.database }],
        ['DropCollection', { db_name: own.database, collection_name: 'vg_records' }],
        ['DropDatabase', { db_name: own.database }],
        ['ListDatabases', {}],
      ],
    },
    collection: {
      report: `milvus:default/vg_t_${uid}`,
      calls: [
        ['DropCollection', { db_name: 'default', collection_name: own.collection }],
        ['DescribeCollection', { db_name: 'default', collection_name: own.collection }],
      ],
    },
    partition: {
      report: `milvus:default/vg_shared_4_cosine_part/vg_t_${uid}`,
      calls: [
        ['DescribeCollection', { db_name: 'default', collection_name: own.collection }],
        [
          'ReleasePartitions',
          {
            db_name: 'default',
            collection_name: own.collection,
            partition_names: [`vg_t_${uid}`],
          },
        ],
        [
          'DropPartition',
          { db_name: 'default', collection_name: own.collection, partition_name: `vg_t_${uid}` },
        ],
        [
          'HasPartition',
          { db_name: 'default', collection_name: own.collection, partition_name: `vg_t_${uid}` },
        ],
        remaining,
      ],
    },
    partition_key: {
      report: 'milvus:default/vg_shared_4_cosine',
      calls: [
        ['DescribeCollection', { db_name: 'default', collection_name: own.collection }],
        [
          'Delete',
          {
            db_name: 'default',
            collection_name: own.collection,
            partition_name: '',
            expr: '(_vg_tenant == {vg_tenant})',
            expr_template_values: { vg_tenant: tv.str(uid) },
          },
        ],
        remaining,
      ],
    },
  };
  return expected[strategy];
}
