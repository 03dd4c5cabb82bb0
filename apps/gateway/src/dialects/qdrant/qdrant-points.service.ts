import { Injectable } from '@nestjs/common';
import type { Schemas } from '@qdrant/js-client-rest';
import { BadRequestError, NotFoundError } from '@vecgate/core';
import { DEFAULT_NAMESPACE, TenantScope, TenantVectorStore } from '@vecgate/isolation';
import {
  FilterParser,
  RecordInput,
  RequestTrace,
  ResultValidator,
  VectorService,
  withinAnswerFloats,
} from '@vecgate/search';
import { NamespaceRegistry } from '@vecgate/tenancy';
import { asSent } from '../field-names';
import { refuseIsEmpty } from './qdrant-filter';
import { translateSelection } from './qdrant-selection';
import { QDRANT_FIELDS, refuseUnknown } from './qdrant-fields';
import { recordIdOf, recordIdsOf } from './qdrant-ids';
import { pointOf, PointShape } from './qdrant-payload';

type Json = Record<string, unknown>;

/** Qdrant's answer to a write: applied at once (vecgate acknowledges committed writes). */
export const COMPLETED = { operation_id: 0, status: 'completed' } satisfies Schemas['UpdateResult'];

/**
 * Qdrant's point calls over the v1 use cases. A collection is one of the tenant's namespaces;
 * calls on a collection the tenant does not have are 404, as in Qdrant.
 */
@Injectable()
export class QdrantPoints {
  constructor(
    private readonly vectors: VectorService,
    private readonly registry: NamespaceRegistry,
    private readonly store: TenantVectorStore,
    private readonly input: RecordInput,
    private readonly results: ResultValidator,
    private readonly filters: FilterParser,
  ) {}

  async exists(scope: TenantScope): Promise<boolean> {
    if (scope.namespace === DEFAULT_NAMESPACE) return true;
    return (await this.registry.lookup(scope.tenantUid, scope.namespace)) !== undefined;
  }

  async requireCollection(scope: TenantScope): Promise<void> {
    if (!(await this.exists(scope)))
      throw new NotFoundError(`Collection \`${scope.namespace}\` doesn't exist!`);
  }

  /** Every record of the collection (v1 records without a Qdrant id included). */
  async countAll(scope: TenantScope, trace: RequestTrace): Promise<number> {
    return this.store.count(scope, { signal: trace.signal });
  }

  /** How many of these records the collection holds. */
  async countIds(
    scope: TenantScope,
    ids: ReadonlySet<string>,
    trace: RequestTrace,
  ): Promise<number> {
    if (ids.size === 0) return 0;
    const found = await this.store.fetch(
      scope,
      [...ids],
      { includeValues: false, includeMetadata: false },
      { signal: trace.signal },
    );
    return this.results.keepOwn(scope, found, trace).length;
  }

  /** `{points: [{id, vector, payload}]}` or `{batch: {ids, vectors, payloads}}`. */
  async upsert(scope: TenantScope, tier: string, body: Json, trace: RequestTrace): Promise<void> {
    await this.requireCollection(scope);
    await this.vectors
      .upsert(scope, tier, writesOf(body), trace, 'last')
      .catch(Array.isArray(body.points) ? POINTS_NAMES : BATCH_NAMES);
  }

  async retrieve(
    scope: TenantScope,
    ids: unknown,
    shape: PointShape,
    trace: RequestTrace,
  ): Promise<Schemas['Record'][]> {
    await this.requireCollection(scope);
    if (Array.isArray(ids) && ids.length === 0) return [];
    // Each point once, in the order first asked for, as Qdrant answers a repeated id.
    const wanted = [...new Set(this.input.ids(recordIdsOf(ids, 'ids'), 'ids'))];
    if (shape.vector) withinAnswerFloats(wanted.length, scope.space.dimension, 'ids');
    const found = await this.store.fetch(
      scope,
      wanted,
      { includeValues: shape.vector, includeMetadata: shape.payload !== false },
      { signal: trace.signal },
    );
    const byId = new Map(this.results.keepOwn(scope, found, trace).map((r) => [r.id, r]));
    return wanted
      .map((id) => byId.get(id))
      .flatMap((r) => {
        const point = r ? pointOf(r, shape, scope.space.metric) : undefined;
        return point ? [point] : [];
      });
  }

  /** `{points: [...]}` or `{filter}`; an empty filter selects every point, as in Qdrant. */
  async delete(scope: TenantScope, body: Json, trace: RequestTrace): Promise<void> {
    await this.requireCollection(scope);
    if (body.points !== undefined && body.filter !== undefined)
      throw new BadRequestError('give either points or filter, not both', 'points');
    if (body.points !== undefined) {
      // No point named, none deleted (as a retrieval of no ids finds none).
      if (Array.isArray(body.points) && body.points.length === 0) return;
      await this.vectors.delete(scope, { ids: recordIdsOf(body.points, 'points') }, trace);
      return;
    }
    if (body.filter === undefined) throw new BadRequestError('give points or filter', 'points');
    // Elsewhere a null filter is no filter; here it would select every point, so it is refused
    // (Qdrant refuses it too): emptying a collection takes an explicit `{}`.
    if (body.filter === null)
      throw new BadRequestError('must be a filter ({} selects every point)', 'filter');
    const { filter, ids } = translateSelection(body.filter, this.filters);
    refuseIsEmpty(body.filter, 'filter');
    if (ids && filter)
      throw new BadRequestError('a delete takes has_id alone, or a filter without it', 'filter');
    if (ids) {
      if (ids.size > 0) await this.vectors.delete(scope, { ids: [...ids] }, trace);
      return;
    }
    await this.vectors.delete(scope, filter ? { filter } : { deleteAll: true }, trace);
  }
}

/** An upsert's records are vecgate's `vectors[i]`: named as the points form sent them. */
const POINTS_NAMES = asSent([
  [/^vectors\[(\d+)\]\.values/, 'points[$1].vector'],
  [/^vectors\[(\d+)\]\.metadata/, 'points[$1].payload'],
  [/^vectors\[(\d+)\]\.id/, 'points[$1].id'],
  [/^vectors/, 'points'],
]);
/** The same, as the batch form sent them (one list per field). */
const BATCH_NAMES = asSent([
  [/^vectors\[(\d+)\]\.values/, 'batch.vectors[$1]'],
  [/^vectors\[(\d+)\]\.metadata/, 'batch.payloads[$1]'],
  [/^vectors\[(\d+)\]\.id/, 'batch.ids[$1]'],
  [/^vectors/, 'batch.ids'],
]);

function writesOf(body: Json): { id: string; values: unknown; metadata?: unknown }[] {
  // Conditional writes (insert only, update only, update where a filter holds) protect existing
  // points; vecgate writes unconditionally, so it refuses them rather than overwrite.
  if (body.update_mode !== undefined && body.update_mode !== null && body.update_mode !== 'upsert')
    throw new BadRequestError('only update_mode "upsert" is supported', 'update_mode');
  if (body.update_filter !== undefined && body.update_filter !== null)
    throw new BadRequestError('update_filter is not supported', 'update_filter');
  // Qdrant's body is one form or the other; taking one and dropping the other would write
  // something else than the client meant.
  if (body.points !== undefined && body.batch !== undefined)
    throw new BadRequestError('give either points or batch, not both', 'batch');
  if (Array.isArray(body.points)) {
    return body.points.map((p: unknown, i) => {
      const point = (typeof p === 'object' && p !== null ? p : {}) as Json;
      refuseUnknown(point, QDRANT_FIELDS.point, `points[${i}].`, 'a point');
      return write(point.id, point.vector, point.payload, `points[${i}]`);
    });
  }
  const batch = body.batch as Json | undefined;
  if (typeof batch === 'object' && batch !== null && Array.isArray(batch.ids)) {
    refuseUnknown(batch, QDRANT_FIELDS.batch, 'batch.', 'a batch');
    const { ids, payloads } = batch as { ids: unknown[]; payloads: unknown };
    const vectors = unnamed(batch.vectors, 'batch.vectors');
    if (!Array.isArray(vectors) || vectors.length !== ids.length)
      throw new BadRequestError('needs one vector per id', 'batch.vectors');
    if (
      payloads !== undefined &&
      payloads !== null &&
      (!Array.isArray(payloads) || payloads.length !== ids.length)
    )
      throw new BadRequestError('needs one payload per id', 'batch.payloads');
    return ids.map((id, i) =>
      write(id, vectors[i], Array.isArray(payloads) ? payloads[i] : undefined, `batch.ids[${i}]`),
    );
  }
  throw new BadRequestError(
    'give points: [{id, vector, payload}] or batch: {ids, vectors}',
    'points',
  );
}

/**
 * The default vector of a point (or the batch's list of them): as sent, or under the empty
 * name, Qdrant's name for the unnamed vector (`{"": [...]}`, as some clients send it). Any
 * other name is a named vector, which a collection here does not have.
 */
function unnamed(vector: unknown, path: string): unknown {
  if (typeof vector !== 'object' || vector === null || Array.isArray(vector)) return vector;
  const names = Object.keys(vector);
  if (names.length === 1 && names[0] === '') return (vector as Json)[''];
  throw new BadRequestError(
    'named vectors are not supported: send the vector as an array (or under the name "")',
    path,
  );
}

function write(id: unknown, vector: unknown, payload: unknown, field: string) {
  return {
    id: recordIdOf(id, `${field}.id`),
    values: unnamed(vector, `${field}.vector`),
    ...(payload !== undefined && payload !== null ? { metadata: payload } : {}),
  };
}
