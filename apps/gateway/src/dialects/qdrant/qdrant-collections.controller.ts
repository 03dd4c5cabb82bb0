import { Body, Controller, Delete, Get, Put, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Schemas } from '@qdrant/js-client-rest';
import type { FastifyReply } from 'fastify';
import { BadRequestError, TenantBypassError } from '@vecgate/core';
import type { MetricName, TenantScope } from '@vecgate/isolation';
import { NamespaceService, RequestTrace } from '@vecgate/search';
import { NamespaceRegistry, ReservedKeys, Tenant } from '@vecgate/tenancy';
import { CurrentTenant, Scope, Trace } from '../../http/request.decorators';
import { collectionInfo } from './qdrant-collection-info';
import { refuseUnknown } from './qdrant-fields';
import { COMPLETED, QdrantPoints } from './qdrant-points.service';
import { checkWriteParams } from './qdrant-write-params';
import {
  ANY_TENANT_ROLE,
  ok,
  QDRANT_PREFIX,
  QdrantAnswer,
  QdrantPublicRoute,
  QdrantRoute,
} from './qdrant.route';

/** The version Qdrant clients check at construction (same major, minor within one). */
export const QDRANT_API_VERSION = '1.18.0';

const DISTANCES: Record<string, MetricName> = { Cosine: 'cosine', Euclid: 'euclidean', Dot: 'dot' };

/** Qdrant's collection calls: a collection is one of the caller's namespaces. */
@ApiExcludeController()
@Controller(QDRANT_PREFIX.slice(1))
export class QdrantCollectionsController {
  constructor(
    private readonly namespaces: NamespaceService,
    private readonly registry: NamespaceRegistry,
    private readonly points: QdrantPoints,
    private readonly reserved: ReservedKeys,
  ) {}

  @Get()
  @QdrantPublicRoute()
  version(): { title: string; version: string } {
    return { title: 'vecgate (Qdrant API)', version: QDRANT_API_VERSION };
  }

  @Get('collections')
  @QdrantRoute('get_collections', ANY_TENANT_ROLE, { readOnly: true })
  async list(
    @Scope() scope: TenantScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['CollectionsResponse']>> {
    const named = await this.registry.list(scope.tenantUid);
    return ok(reply, { collections: named.map((e) => ({ name: e.name })) });
  }

  @Get('collections/:name')
  @QdrantRoute('get_collection', ANY_TENANT_ROLE, { readOnly: true })
  async get(
    @Scope('path') scope: TenantScope,
    @Trace() trace: RequestTrace,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['CollectionInfo']>> {
    await this.points.requireCollection(scope);
    return ok(reply, await collectionInfo(scope, this.points, trace));
  }

  @Get('collections/:name/exists')
  @QdrantRoute('collection_exists', ANY_TENANT_ROLE, { readOnly: true })
  async exists(
    @Scope('path') scope: TenantScope,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['CollectionExistence']>> {
    return ok(reply, { exists: await this.points.exists(scope) });
  }

  /** Idempotent for the tenant's own dimension and metric; anything else is a 400. */
  @Put('collections/:name')
  @QdrantRoute('create_collection', 'writer')
  async create(
    @Scope('path') scope: TenantScope,
    @CurrentTenant() tenant: Tenant,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<boolean>> {
    checkCollectionConfig(body, scope);
    await this.namespaces.create(scope, tenant.tier);
    return ok(reply, true);
  }

  @Delete('collections/:name')
  @QdrantRoute('delete_collection', 'writer', { heavy: true })
  async erase(
    @Scope('path') scope: TenantScope,
    @Trace() trace: RequestTrace,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<boolean>> {
    // As in Qdrant, deleting a collection that does not exist answers false.
    if (!(await this.points.exists(scope))) return ok(reply, false);
    await this.namespaces.erase(scope, trace);
    return ok(reply, true);
  }

  /** Payload indexes: every payload key is filterable already; accepted and nothing changes. */
  @Put('collections/:name/index')
  @QdrantRoute('create_field_index', 'writer')
  async index(
    @Scope('path') scope: TenantScope,
    @Body() body: unknown,
    @Query() query: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['UpdateResult']>> {
    checkWriteParams(query);
    // The field name is a payload key, refused where a filter key would be.
    const field = (body as { field_name?: unknown } | undefined)?.field_name;
    if (typeof field !== 'string' || field === '')
      throw new BadRequestError('must be a payload key', 'field_name');
    if (this.reserved.isReserved(field))
      throw new TenantBypassError(
        `key "${field}" is reserved: the tenant comes from the token`,
        'field_name',
      );
    await this.points.requireCollection(scope);
    return ok(reply, COMPLETED);
  }
}

/**
 * Settings that change what the collection holds or how it is addressed, which vecgate cannot
 * honour: refused, so a client never believes its collection was copied or sharded. Tuning
 * settings (hnsw, optimizers, on-disk, shard counts) change nothing a client observes and are
 * ignored.
 */
const UNSERVED_SETTINGS: Record<string, (value: unknown) => boolean> = {
  init_from: (value) => value !== null,
  sparse_vectors: (value) =>
    value !== null && (typeof value !== 'object' || Object.keys(value).length > 0),
  sharding_method: (value) => value !== null && value !== 'auto',
};

/**
 * The fields of Qdrant's `CreateCollection` as clients 1.18 and 1.19 send them (`payload` and
 * `metadata` are 1.19's; `init_from`, of earlier releases, is refused as unserved). Any other
 * is a 400 naming it: a misspelt setting (`hnsw`, `vector`) silently dropped would leave the
 * caller believing it applied.
 */
const COLLECTION_FIELDS: readonly string[] = [
  'vectors',
  'shard_number',
  'sharding_method',
  'replication_factor',
  'write_consistency_factor',
  'on_disk_payload',
  'hnsw_config',
  'wal_config',
  'optimizers_config',
  'quantization_config',
  'sparse_vectors',
  'strict_mode_config',
  'payload',
  'metadata',
  'init_from',
];

/** The fields of one `VectorParams` (`memory` is 1.19's); each but size and distance ignored. */
const VECTOR_FIELDS: readonly string[] = [
  'size',
  'distance',
  'hnsw_config',
  'quantization_config',
  'on_disk',
  'memory',
  'datatype',
  'multivector_config',
];

function checkCollectionConfig(body: unknown, scope: TenantScope): void {
  refuseUnknown(body, COLLECTION_FIELDS, '', 'a collection');
  for (const [field, unserved] of Object.entries(UNSERVED_SETTINGS)) {
    const value = (body as Record<string, unknown> | undefined)?.[field];
    if (value !== undefined && unserved(value))
      throw new BadRequestError(`${field} is not supported`, field);
  }
  const vectors = (body as { vectors?: unknown } | undefined)?.vectors;
  const { size, distance } = (vectors ?? {}) as { size?: unknown; distance?: unknown };
  const { dimension, metric } = scope.space;
  const expected = Object.keys(DISTANCES).find((d) => DISTANCES[d] === metric) ?? metric;
  if (size !== dimension || typeof distance !== 'string' || DISTANCES[distance] !== metric) {
    throw new BadRequestError(
      `this tenant's vectors are {size: ${dimension}, distance: ${expected}}; a collection ` +
        'takes exactly that vectors config (named and sparse vectors are not supported)',
      'vectors',
    );
  }
  // After the space check: a named vectors config (`{dense: {...}}`) is refused as one above.
  refuseUnknown(vectors, VECTOR_FIELDS, 'vectors.', 'vectors');
}
