import { Body, Controller, Get, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Schemas } from '@qdrant/js-client-rest';
import type { FastifyReply } from 'fastify';
import { BadRequestError, NotFoundError } from '@vecgate/core';
import type { TenantScope } from '@vecgate/isolation';
import { FilterParser, RecordListing, RequestTrace, VectorService } from '@vecgate/search';
import { Scope, TenantTier, Trace } from '../../http/request.decorators';
import { QDRANT_FIELDS, refuseUnknown } from './qdrant-fields';
import { pathPointId } from './qdrant-ids';
import { pointShape } from './qdrant-payload';
import { COMPLETED, QdrantPoints } from './qdrant-points.service';
import { countMatching, scroll } from './qdrant-scroll';
import { nearest, NearestRequest } from './qdrant-search';
import { translateSelection } from './qdrant-selection';
import { checkReadParams, checkWriteParams } from './qdrant-write-params';
import { ok, QDRANT_PREFIX, QdrantAnswer, QdrantRoute } from './qdrant.route';

type Json = Record<string, unknown>;

/** The body of a call, a JSON object holding only the fields Qdrant defines for it. */
function bodyOf(body: unknown, fields: readonly string[], owner: string): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new BadRequestError('the body must be a JSON object', 'body');
  refuseUnknown(body, fields, '', owner);
  // A shard key scopes a call to part of a collection; ignoring it would widen the call to the
  // whole collection (an application sharding by user would see every user's points).
  const shardKey = (body as Json).shard_key;
  if (shardKey !== undefined && shardKey !== null)
    throw new BadRequestError('shard keys are not supported', 'shard_key');
  return body as Json;
}

/** Qdrant's point calls, in the collection named by the path (one of the caller's namespaces). */
@ApiExcludeController()
@Controller(`${QDRANT_PREFIX.slice(1)}/collections/:name/points`)
export class QdrantPointsController {
  constructor(
    private readonly points: QdrantPoints,
    private readonly vectors: VectorService,
    private readonly listing: RecordListing,
    private readonly filters: FilterParser,
  ) {}

  @Put()
  @QdrantRoute('upsert_points', 'writer', { heavy: true })
  async upsert(
    @Scope('path') scope: TenantScope,
    @TenantTier() tier: string,
    @Body() body: unknown,
    @Query() query: unknown,
    @Trace() trace: RequestTrace,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['UpdateResult']>> {
    checkWriteParams(query);
    await this.points.upsert(scope, tier, bodyOf(body, QDRANT_FIELDS.upsert, 'an upsert'), trace);
    return ok(reply, COMPLETED);
  }

  @Post()
  @QdrantRoute('retrieve_points', 'reader', { readOnly: true })
  async retrieve(
    @Scope('path') scope: TenantScope,
    @Body() body: unknown,
    @Query() query: unknown,
    @Trace() trace: RequestTrace,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['Record'][]>> {
    checkReadParams(query);
    const b = bodyOf(body, QDRANT_FIELDS.retrieve, 'a retrieval');
    const shape = pointShape(b.with_payload, b.with_vector, true);
    return ok(reply, await this.points.retrieve(scope, b.ids, shape, trace));
  }

  @Get(':id')
  @QdrantRoute('get_point', 'reader', { readOnly: true })
  async point(
    @Scope('path') scope: TenantScope,
    @Param('id') id: string,
    @Query() query: unknown,
    @Trace() trace: RequestTrace,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['Record']>> {
    checkReadParams(query);
    const pointId = pathPointId(id, 'id');
    const [found] = await this.points.retrieve(
      scope,
      [pointId],
      pointShape(true, true, true),
      trace,
    );
    if (!found) throw new NotFoundError(`No point with id ${id} found`);
    return ok(reply, found);
  }

  @Post('delete')
  @QdrantRoute('delete_points', 'writer', { heavy: true })
  async delete(
    @Scope('path') scope: TenantScope,
    @Body() body: unknown,
    @Query() query: unknown,
    @Trace() trace: RequestTrace,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['UpdateResult']>> {
    checkWriteParams(query);
    await this.points.delete(scope, bodyOf(body, QDRANT_FIELDS.delete, 'a delete'), trace);
    return ok(reply, COMPLETED);
  }

  /** The universal query: a vector, or `{nearest, mmr}`; other query kinds are refused. */
  @Post('query')
  @QdrantRoute('query_points', 'reader', { readOnly: true, heavy: true })
  async query(
    @Scope('path') scope: TenantScope,
    @Body() body: unknown,
    @Query() query: unknown,
    @Trace() trace: RequestTrace,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['QueryResponse']>> {
    checkReadParams(query);
    const b = bodyOf(body, QDRANT_FIELDS.query, 'a query');
    for (const field of ['prefetch', 'lookup_from', 'group_by'])
      if (b[field] !== undefined && b[field] !== null)
        throw new BadRequestError(`${field} is not supported`, field);
    await this.points.requireCollection(scope);
    const request: NearestRequest = { ...b, ...queryVector(b.query) };
    return ok(reply, { points: await nearest(this.vectors, scope, request, trace, this.filters) });
  }

  /** The search call of clients before 1.19 (removed there, kept here). */
  @Post('search')
  @QdrantRoute('search_points', 'reader', { readOnly: true, heavy: true })
  async search(
    @Scope('path') scope: TenantScope,
    @Body() body: unknown,
    @Query() query: unknown,
    @Trace() trace: RequestTrace,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['ScoredPoint'][]>> {
    checkReadParams(query);
    const b = bodyOf(body, QDRANT_FIELDS.search, 'a search');
    await this.points.requireCollection(scope);
    const vector = Array.isArray(b.vector) ? b.vector : namedDefault(b.vector);
    return ok(reply, await nearest(this.vectors, scope, { ...b, vector }, trace, this.filters));
  }

  @Post('scroll')
  @QdrantRoute('scroll_points', 'reader', { readOnly: true, heavy: true })
  async scroll(
    @Scope('path') scope: TenantScope,
    @Body() body: unknown,
    @Query() query: unknown,
    @Trace() trace: RequestTrace,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['ScrollResult']>> {
    checkReadParams(query);
    const b = bodyOf(body, QDRANT_FIELDS.scroll, 'a scroll');
    await this.points.requireCollection(scope);
    const shape = pointShape(b.with_payload, b.with_vector, true);
    return ok(reply, await scroll(this.listing, scope, b, shape, trace, this.filters));
  }

  /** Every point of the collection, or those a filter selects (counted page by page). */
  @Post('count')
  @QdrantRoute('count_points', 'reader', { readOnly: true, heavy: true })
  async count(
    @Scope('path') scope: TenantScope,
    @Body() body: unknown,
    @Query() query: unknown,
    @Trace() trace: RequestTrace,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QdrantAnswer<Schemas['CountResult']>> {
    checkReadParams(query);
    const b = bodyOf(body ?? {}, QDRANT_FIELDS.count, 'a count');
    // Counts are exact whatever `exact` says; it is still typed as Qdrant types it.
    if (b.exact !== undefined && b.exact !== null && typeof b.exact !== 'boolean')
      throw new BadRequestError('must be a boolean', 'exact');
    const selection = translateSelection(b.filter, this.filters);
    await this.points.requireCollection(scope);
    const total = selection.filter
      ? await countMatching(this.listing, scope, selection, trace)
      : selection.ids
        ? await this.points.countIds(scope, selection.ids, trace)
        : await this.points.countAll(scope, trace);
    return ok(reply, { count: total });
  }
}

function queryVector(query: unknown): Pick<NearestRequest, 'vector' | 'mmr'> {
  if (Array.isArray(query)) return { vector: query };
  if (typeof query === 'object' && query !== null && 'nearest' in query) {
    refuseUnknown(query, QDRANT_FIELDS.nearest, 'query.', 'a nearest query');
    const { nearest: vector, mmr } = query as { nearest: unknown; mmr?: NearestRequest['mmr'] };
    if (!Array.isArray(vector))
      throw new BadRequestError(
        'nearest must be a vector (point ids and named vectors are not supported)',
        'query.nearest',
      );
    if (mmr !== undefined && mmr !== null && (typeof mmr !== 'object' || Array.isArray(mmr)))
      throw new BadRequestError('must be an object', 'query.mmr');
    refuseUnknown(mmr, QDRANT_FIELDS.mmr, 'query.mmr.', 'mmr');
    return { vector, ...(mmr ? { mmr } : {}) };
  }
  throw new BadRequestError(
    'query must be a vector or {nearest: vector, mmr?}; other query kinds are not supported',
    'query',
  );
}

/** `points/search` also takes `{name, vector}`: only the default (unnamed) vector exists. */
function namedDefault(vector: unknown): unknown {
  const named = vector as { name?: unknown; vector?: unknown } | undefined;
  if (
    typeof named === 'object' &&
    named !== null &&
    (named.name === '' || named.name === undefined)
  )
    return named.vector;
  throw new BadRequestError('must be a vector (only the default, unnamed vector exists)', 'vector');
}
