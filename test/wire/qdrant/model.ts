import { compileFilter, FormatError, Json, Payload } from './filter-model';

/**
 * An in-memory model of the Qdrant REST endpoints the adapter uses, answering with Qdrant's
 * envelopes (`{result, status: "ok", time}`, errors as `{status: {error}}`). It keeps what a
 * real server keeps (collections, their vector params and sharding, payload indexes, shard
 * keys, points), stores float32 values and normalises cosine vectors on upload as Qdrant does,
 * and refuses what Qdrant refuses (unknown shard keys, wrong dimensions, missing shard keys on
 * custom-sharded collections, malformed filters).
 */

export interface ModelRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface ModelResponse {
  readonly status: number;
  readonly body: unknown;
}

interface VectorParams {
  readonly size: number;
  readonly distance: 'Cosine' | 'Euclid' | 'Dot' | 'Manhattan';
  readonly [key: string]: unknown;
}

interface StoredPoint {
  readonly id: string | number;
  /** Named vectors; the unnamed one is stored under "". */
  readonly vectors: Record<string, Float32Array>;
  readonly payload: Payload;
  readonly shardKey?: string;
}

interface Collection {
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly vectors: Record<string, VectorParams>;
  readonly named: boolean;
  readonly custom: boolean;
  readonly shardKeys: Set<string>;
  readonly payloadSchema: Record<string, { data_type: string; params: unknown; points: number }>;
  readonly points: Map<string, StoredPoint>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ok = (result: unknown): ModelResponse => ({
  status: 200,
  body: { result, status: 'ok', time: 0.0001 },
});

const COLLECTION_NAME = /^[^/\0]{1,255}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class QdrantModel {
  readonly collections = new Map<string, Collection>();
  distributed: boolean;
  private operationId = 0;

  constructor(options: { distributed?: boolean } = {}) {
    this.distributed = options.distributed ?? false;
  }

  handle(request: ModelRequest): ModelResponse {
    try {
      return this.route(request);
    } catch (err) {
      if (err instanceof HttpError) {
        return { status: err.status, body: { status: { error: err.message }, time: 0.0001 } };
      }
      if (err instanceof FormatError) {
        return {
          status: 400,
          body: { status: { error: `Format error in JSON body: ${err.message}` }, time: 0.0001 },
        };
      }
      throw err;
    }
  }

  /** The points of a collection, for assertions. */
  points(collection: string): StoredPoint[] {
    return [...(this.collections.get(collection)?.points.values() ?? [])];
  }

  private route({ method, path, query, body }: ModelRequest): ModelResponse {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (method === 'GET' && parts.length === 0)
      return {
        status: 200,
        body: { title: 'qdrant - vector search engine (wire model)', version: '1.18.3' },
      };
    if (method === 'GET' && path === '/cluster') return ok(this.clusterStatus());
    if (parts[0] !== 'collections') throw new HttpError(404, `no route ${method} ${path}`);
    if (method === 'GET' && parts.length === 1) {
      return ok({ collections: [...this.collections.keys()].map((name) => ({ name })) });
    }
    const name = parts[1] ?? '';
    const rest = parts.slice(2).join('/');
    switch (`${method} ${rest}`) {
      case 'GET exists':
        return ok({ exists: this.collections.has(name) });
      case 'GET ':
        return ok(this.describe(this.collection(name)));
      case 'PUT ':
        return ok(this.create(name, body));
      case 'DELETE ':
        return ok(this.collections.delete(name));
      case 'PUT index':
        return ok(this.createIndex(this.collection(name), body, query));
      case 'GET shards':
        return ok({ shard_keys: [...this.collection(name).shardKeys].map((key) => ({ key })) });
      case 'PUT shards':
        return ok(this.createShardKey(this.collection(name), body));
      case 'POST shards/delete':
        return ok(this.deleteShardKey(this.collection(name), body));
      case 'PUT points':
        return ok(this.upsert(this.collection(name), body, query));
      case 'POST points/scroll':
        return ok(this.scroll(this.collection(name), body));
      case 'POST points/count':
        return ok(this.count(this.collection(name), body));
      case 'POST points/query':
        return ok(this.query(this.collection(name), body));
      case 'POST points/delete':
        return ok(this.deletePoints(this.collection(name), body, query));
      default:
        throw new HttpError(404, `no route ${method} ${path}`);
    }
  }

  private clusterStatus(): unknown {
    if (!this.distributed) return { status: 'disabled' };
    return {
      status: 'enabled',
      peer_id: 1,
      peers: { '1': { uri: 'http://qdrant:6335/' } },
      raft_info: {
        term: 1,
        commit: 1,
        pending_operations: 0,
        leader: 1,
        role: 'Leader',
        is_voter: true,
      },
      consensus_thread_status: {
        consensus_thread_status: 'working',
        last_update: new Date().toISOString(),
      },
      message_send_failures: {},
    };
  }

  private collection(name: string): Collection {
    const found = this.collections.get(name);
    if (!found) throw new HttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return found;
  }

  private describe(c: Collection): unknown {
    return {
      status: 'green',
      optimizer_status: 'ok',
      segments_count: 1,
      points_count: c.points.size,
      indexed_vectors_count: 0,
      config: {
        params: {
          vectors: c.named ? c.vectors : c.vectors[''],
          shard_number: 1,
          sharding_method: c.custom ? 'custom' : undefined,
          replication_factor: 1,
          write_consistency_factor: 1,
          on_disk_payload: true,
        },
        hnsw_config: {
          m: 16,
          ef_construct: 100,
          full_scan_threshold: 10000,
          ...(isObject(c.params.hnsw_config) ? c.params.hnsw_config : {}),
        },
        optimizer_config: {},
        wal_config: {},
      },
      payload_schema: c.payloadSchema,
    };
  }

  private create(name: string, body: unknown): boolean {
    if (!COLLECTION_NAME.test(name))
      throw new HttpError(400, `Wrong input: invalid collection name ${name}`);
    if (this.collections.has(name)) {
      throw new HttpError(409, `Wrong input: Collection \`${name}\` already exists!`);
    }
    if (!isObject(body) || !isObject(body.vectors)) throw new FormatError('vectors is required');
    const vectors = body.vectors;
    const named = !('size' in vectors);
    const params: Record<string, VectorParams> = {};
    for (const [vectorName, p] of Object.entries(named ? vectors : { '': vectors })) {
      if (!isObject(p) || !Number.isInteger(p.size) || (p.size as number) < 1) {
        throw new FormatError(`vector ${vectorName} needs a positive size`);
      }
      if (!['Cosine', 'Euclid', 'Dot', 'Manhattan'].includes(p.distance as string)) {
        throw new FormatError(`vector ${vectorName} has an unknown distance`);
      }
      params[vectorName] = p as unknown as VectorParams;
    }
    if (body.sharding_method === 'custom' && !this.distributed) {
      throw new HttpError(
        400,
        'Bad request: Custom sharding is only available in distributed mode',
      );
    }
    this.collections.set(name, {
      name,
      params: body,
      vectors: params,
      named,
      custom: body.sharding_method === 'custom',
      shardKeys: new Set(),
      payloadSchema: {},
      points: new Map(),
    });
    return true;
  }

  private createIndex(c: Collection, body: unknown, query: Record<string, string>): unknown {
    if (!isObject(body) || typeof body.field_name !== 'string')
      throw new FormatError('field_name is required');
    const schema = body.field_schema;
    const type = typeof schema === 'string' ? schema : isObject(schema) ? schema.type : undefined;
    if (typeof type !== 'string') throw new FormatError('field_schema is required');
    c.payloadSchema[body.field_name] = {
      data_type: type,
      params: isObject(schema) ? schema : null,
      points: c.points.size,
    };
    return this.updateResult(query);
  }

  private createShardKey(c: Collection, body: unknown): boolean {
    if (!c.custom) throw new HttpError(400, 'Bad request: Shard keys need custom sharding');
    if (
      !isObject(body) ||
      (typeof body.shard_key !== 'string' && typeof body.shard_key !== 'number')
    ) {
      throw new FormatError('shard_key is required');
    }
    const key = String(body.shard_key);
    if (c.shardKeys.has(key))
      throw new HttpError(400, `Bad request: Shard key ${key} already exists`);
    c.shardKeys.add(key);
    return true;
  }

  private deleteShardKey(c: Collection, body: unknown): boolean {
    if (!isObject(body)) throw new FormatError('shard_key is required');
    const key = String(body.shard_key);
    if (!c.shardKeys.delete(key))
      throw new HttpError(404, `Not found: Shard key ${key} does not exist`);
    for (const [id, point] of c.points) if (point.shardKey === key) c.points.delete(id);
    return true;
  }

  /** The shard key a data call targets: required to write to a custom-sharded collection. */
  private shardKey(
    c: Collection,
    body: Record<string, unknown>,
    write: boolean,
  ): string | undefined {
    const raw = body.shard_key;
    if (raw === undefined || raw === null) {
      if (c.custom && write) throw new HttpError(400, 'Bad request: Shard key not specified');
      return undefined;
    }
    if (!c.custom)
      throw new HttpError(
        400,
        'Bad request: Shard key specified but the collection has automatic sharding',
      );
    if (typeof raw !== 'string' && typeof raw !== 'number')
      throw new FormatError('shard_key must be a string or integer');
    const key = String(raw);
    if (!c.shardKeys.has(key))
      throw new HttpError(404, `Not found: Shard key ${key} does not exist`);
    return key;
  }

  private updateResult(query: Record<string, string>): unknown {
    return {
      operation_id: ++this.operationId,
      status: query.wait === 'true' ? 'completed' : 'acknowledged',
    };
  }

  private upsert(c: Collection, body: unknown, query: Record<string, string>): unknown {
    if (!isObject(body) || !Array.isArray(body.points)) throw new FormatError('points is required');
    const shardKey = this.shardKey(c, body, true);
    const incoming: StoredPoint[] = body.points.map((raw: unknown) => {
      if (!isObject(raw)) throw new FormatError('a point must be an object');
      const id = raw.id;
      if (typeof id === 'string') {
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
          throw new FormatError(`Unable to parse UUID: ${id}`);
        }
      } else if (!Number.isSafeInteger(id) || (id as number) < 0) {
        throw new FormatError('a point id must be an unsigned integer or a UUID');
      }
      return {
        id: typeof id === 'string' ? id.toLowerCase() : (id as number),
        vectors: this.vectors(c, raw.vector),
        payload: (isObject(raw.payload) ? raw.payload : {}) as Payload,
        ...(shardKey === undefined ? {} : { shardKey }),
      };
    });
    // Validated as a whole before anything is applied, as Qdrant does with a malformed batch.
    for (const point of incoming) c.points.set(String(point.id), point);
    return this.updateResult(query);
  }

  private vectors(c: Collection, raw: unknown): Record<string, Float32Array> {
    const given: Record<string, unknown> = c.named ? (isObject(raw) ? raw : {}) : { '': raw };
    if (c.named && !isObject(raw))
      throw new HttpError(400, 'Wrong input: Not existing vector name error: ');
    const out: Record<string, Float32Array> = {};
    for (const [name, values] of Object.entries(given)) {
      const params = c.vectors[name];
      if (!params) throw new HttpError(400, `Wrong input: Not existing vector name error: ${name}`);
      if (!Array.isArray(values) || !values.every((v) => typeof v === 'number')) {
        throw new FormatError(`vector ${name} must be an array of numbers`);
      }
      if (values.length !== params.size) {
        throw new HttpError(
          400,
          `Wrong input: Vector dimension error: expected dim: ${params.size}, got ${values.length}`,
        );
      }
      const stored = Float32Array.from(values);
      if (params.distance === 'Cosine') normalise(stored);
      out[name] = stored;
    }
    return out;
  }

  private selected(c: Collection, body: Record<string, unknown>, write: boolean): StoredPoint[] {
    const shardKey = this.shardKey(c, body, write);
    const predicate = compileFilter(body.filter);
    return [...c.points.values()].filter(
      (p) => (shardKey === undefined || p.shardKey === shardKey) && predicate(p),
    );
  }

  /**
   * Qdrant's scroll: points in id order (unsigned integers first, then UUIDs by their 128-bit
   * value, which is the order of their lowercase text), from `offset` inclusive, `limit` of
   * them, and `next_page_offset` the id of the first point after the page (null at the end).
   */
  private scroll(c: Collection, body: unknown): unknown {
    if (!isObject(body)) throw new FormatError('a scroll body is required');
    const limit = typeof body.limit === 'number' ? body.limit : 10;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new FormatError('limit must be >= 1');
    const offset = body.offset ?? null;
    if (offset !== null && typeof offset !== 'string' && !Number.isSafeInteger(offset))
      throw new FormatError('offset must be a point id');
    const ordered = this.selected(c, body, false).sort((a, b) => comparePointIds(a.id, b.id));
    const from =
      offset === null
        ? 0
        : ordered.findIndex((p) => comparePointIds(p.id, offset as string | number) >= 0);
    const start = from < 0 ? ordered.length : from;
    const page = ordered.slice(start, start + limit);
    const after = ordered[start + limit];
    return {
      points: page.map((p) => this.view(c, p, body)),
      next_page_offset: after === undefined ? null : after.id,
    };
  }

  private count(c: Collection, body: unknown): unknown {
    if (!isObject(body)) throw new FormatError('a count body is required');
    return { count: this.selected(c, body, false).length };
  }

  private query(c: Collection, body: unknown): unknown {
    if (!isObject(body) || !Array.isArray(body.query))
      throw new FormatError('query must be a vector');
    const using = typeof body.using === 'string' ? body.using : '';
    const params = c.vectors[using];
    if (!params) throw new HttpError(400, `Wrong input: Not existing vector name error: ${using}`);
    const vector = Float32Array.from(body.query as number[]);
    if (vector.length !== params.size) {
      throw new HttpError(
        400,
        `Wrong input: Vector dimension error: expected dim: ${params.size}, got ${vector.length}`,
      );
    }
    if (params.distance === 'Cosine') normalise(vector);
    const limit = typeof body.limit === 'number' ? body.limit : 10;
    const scored = this.selected(c, body, false).map((p) => ({
      p,
      score: score(params.distance, vector, p.vectors[using] ?? new Float32Array(vector.length)),
    }));
    const ascending = params.distance === 'Euclid' || params.distance === 'Manhattan';
    scored.sort((a, b) => (ascending ? a.score - b.score : b.score - a.score));
    return {
      points: scored
        .slice(0, limit)
        .map(({ p, score: s }) => ({ ...this.view(c, p, body), version: 1, score: s })),
    };
  }

  private deletePoints(c: Collection, body: unknown, query: Record<string, string>): unknown {
    if (!isObject(body)) throw new FormatError('a delete body is required');
    if (body.points !== undefined) throw new FormatError('the model deletes by filter only');
    if (body.filter === undefined) throw new FormatError('filter is required');
    for (const p of this.selected(c, body, false)) c.points.delete(String(p.id));
    return this.updateResult(query);
  }

  private view(
    c: Collection,
    p: StoredPoint,
    body: Record<string, unknown>,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { id: p.id };
    const wp = body.with_payload ?? false;
    if (wp === true) out.payload = p.payload;
    else if (Array.isArray(wp)) {
      out.payload = Object.fromEntries(
        Object.entries(p.payload).filter(([k]) => (wp as unknown[]).includes(k)),
      );
    } else if (wp !== false)
      throw new FormatError('with_payload: the model takes true, false or a list');
    const wv = body.with_vector ?? false;
    const names = wv === true ? Object.keys(p.vectors) : Array.isArray(wv) ? (wv as string[]) : [];
    if (wv !== false && !Array.isArray(wv) && wv !== true)
      throw new FormatError('with_vector: true, false or a list');
    if (names.length > 0) {
      out.vector = c.named
        ? Object.fromEntries(
            names
              .filter((n) => p.vectors[n])
              .map((n) => [n, Array.from(p.vectors[n] as Float32Array)]),
          )
        : Array.from(p.vectors[''] ?? []);
    }
    if (p.shardKey !== undefined) out.shard_key = p.shardKey;
    return out;
  }
}

/** Qdrant's order of point ids: integers ascending, then UUIDs by value. */
function comparePointIds(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
}

function normalise(v: Float32Array): void {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
}

function score(distance: VectorParams['distance'], q: Float32Array, v: Float32Array): number {
  let dot = 0;
  let sq = 0;
  let abs = 0;
  for (let i = 0; i < q.length; i++) {
    const a = q[i] as number;
    const b = v[i] as number;
    dot += a * b;
    sq += (a - b) * (a - b);
    abs += Math.abs(a - b);
  }
  switch (distance) {
    case 'Cosine':
    case 'Dot':
      return dot;
    case 'Euclid':
      return Math.sqrt(sq);
    case 'Manhattan':
      return abs;
  }
}

export type { Json };
