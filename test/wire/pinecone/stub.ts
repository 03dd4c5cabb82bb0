import {
  createServer,
  IncomingHttpHeaders,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';
import {
  BadRequest,
  better,
  checkMetadata,
  matchesFilter,
  score,
  StubMetric,
  StubRecord,
} from './model';

/** One request as the stub received it. `host` is "control" or an index name. */
export interface Captured {
  readonly host: string;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface Scripted {
  readonly status: number;
  readonly body?: unknown;
  /** Answer only after this long (to exercise the gateway's request deadline). */
  readonly delayMs?: number;
}

/** Returns an answer to send instead of the model's, or undefined to let the model answer. */
export type Override = (request: Captured) => Scripted | undefined;

/** The default namespace, under its 2025-01 name ("") and its later one. */
const DEFAULT_NAMESPACES = new Set(['', '__default__']);

export class StubIndex {
  /** Records by namespace ("" is the default namespace). */
  readonly namespaces = new Map<string, Map<string, StubRecord>>();
  status = { ready: true, state: 'Ready' };
  url = '';
  server?: Server;

  constructor(
    readonly name: string,
    readonly dimension: number,
    readonly metric: StubMetric,
    readonly tags: Record<string, string> | undefined,
    readonly spec: unknown,
  ) {}

  model(): Record<string, unknown> {
    return {
      name: this.name,
      dimension: this.dimension,
      metric: this.metric,
      host: this.url,
      spec: this.spec,
      status: this.status,
      deletion_protection: 'disabled',
      vector_type: 'dense',
      ...(this.tags ? { tags: this.tags } : {}),
    };
  }

  /** Seeds a namespace directly (for statistics that name several namespaces). */
  seed(namespace: string, records: StubRecord[]): void {
    const store = this.space(namespace, true)!;
    for (const r of records) store.set(r.id, r);
  }

  space(namespace: string, create: boolean): Map<string, StubRecord> | undefined {
    const key = DEFAULT_NAMESPACES.has(namespace) ? '' : namespace;
    let store = this.namespaces.get(key);
    if (!store && create) {
      store = new Map();
      this.namespaces.set(key, store);
    }
    return store;
  }
}

/**
 * A local Pinecone for wire tests: a control plane and one HTTP server per index host, all on
 * 127.0.0.1, answering the REST API the official client speaks, backed by the model in
 * `model.ts`. It records every request (host, path, query, headers, JSON body) for
 * the tests to assert, and an override can script any answer (errors, delays).
 */
export class PineconeStub {
  readonly requests: Captured[] = [];
  readonly indexes = new Map<string, StubIndex>();
  override?: Override;
  /** Describe calls a created index answers "not ready" before it is ready. */
  readyAfterDescribes = 0;
  controlUrl = '';
  private control?: Server;
  private readonly pending = new Map<string, number>();

  static async start(): Promise<PineconeStub> {
    const stub = new PineconeStub();
    stub.control = await listen((req, res) => stub.handle('control', req, res));
    stub.controlUrl = urlOf(stub.control);
    return stub;
  }

  /** Starts an index host. */
  async addIndex(
    name: string,
    dimension: number,
    metric: StubMetric,
    tags?: Record<string, string>,
    spec: unknown = { serverless: { cloud: 'aws', region: 'us-east-1' } },
  ): Promise<StubIndex> {
    const index = new StubIndex(name, dimension, metric, tags, spec);
    index.server = await listen((req, res) => this.handle(name, req, res));
    index.url = urlOf(index.server);
    this.indexes.set(name, index);
    return index;
  }

  index(name: string): StubIndex {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no stub index ${name}`);
    return index;
  }

  /** Requests to one host ("control" or an index name). */
  to(host: string): Captured[] {
    return this.requests.filter((r) => r.host === host);
  }

  reset(): void {
    this.requests.length = 0;
    this.override = undefined;
  }

  async close(): Promise<void> {
    const servers = [this.control, ...[...this.indexes.values()].map((i) => i.server)];
    await Promise.all(servers.map((s) => (s ? stop(s) : Promise.resolve())));
  }

  private handle(host: string, req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const captured: Captured = {
        host,
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      this.requests.push(captured);
      void this.answer(captured).then(({ status, body: out, delayMs }) => {
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(out === undefined ? '' : JSON.stringify(out));
        };
        if (delayMs) setTimeout(send, delayMs).unref();
        else send();
      });
    });
  }

  private async answer(request: Captured): Promise<Scripted> {
    const scripted = this.override?.(request);
    if (scripted) return scripted;
    try {
      return request.host === 'control'
        ? await this.controlPlane(request)
        : this.dataPlane(this.index(request.host), request);
    } catch (err) {
      if (err instanceof BadRequest) return error(400, err.message);
      return error(500, (err as Error).message);
    }
  }

  private async controlPlane(request: Captured): Promise<Scripted> {
    const { method, path } = request;
    if (method === 'GET' && path === '/indexes') {
      return ok({ indexes: [...this.indexes.values()].map((i) => i.model()) });
    }
    if (method === 'POST' && path === '/indexes') {
      const body = request.body as {
        name: string;
        dimension: number;
        metric: StubMetric;
        tags?: Record<string, string>;
        spec: unknown;
      };
      if (this.indexes.has(body.name)) return error(409, `index ${body.name} already exists`);
      const index = await this.addIndex(
        body.name,
        body.dimension,
        body.metric,
        body.tags,
        body.spec,
      );
      if (this.readyAfterDescribes > 0) {
        index.status = { ready: false, state: 'Initializing' };
        this.pending.set(body.name, this.readyAfterDescribes);
      }
      return { status: 201, body: index.model() };
    }
    const named = /^\/indexes\/([^/]+)$/.exec(path);
    if (named) {
      const name = decodeURIComponent(named[1]!);
      const index = this.indexes.get(name);
      if (!index) return error(404, `index ${name} not found`);
      if (method === 'GET') {
        const left = this.pending.get(name);
        if (left !== undefined) {
          if (left <= 1) {
            this.pending.delete(name);
            index.status = { ready: true, state: 'Ready' };
          } else this.pending.set(name, left - 1);
        }
        return ok(index.model());
      }
      if (method === 'DELETE') {
        this.indexes.delete(name);
        if (index.server) await stop(index.server);
        return { status: 202 };
      }
    }
    return error(404, `no route ${method} ${path}`);
  }

  private dataPlane(index: StubIndex, request: Captured): Scripted {
    const { method, path } = request;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const namespace = typeof body.namespace === 'string' ? body.namespace : '';
    const inQuery = path === '/vectors/fetch' || path === '/vectors/list';
    checkNamespace(inQuery ? (request.query.get('namespace') ?? '') : namespace);
    if (method === 'POST' && path === '/vectors/upsert') {
      const vectors = body.vectors as { id: string; values: number[]; metadata?: unknown }[];
      const store = index.space(namespace, true)!;
      const checked = vectors.map((v) => {
        if (!Array.isArray(v.values) || v.values.length !== index.dimension)
          throw new BadRequest(`vector ${v.id} does not have dimension ${index.dimension}`);
        const metadata = checkMetadata(v.metadata);
        return {
          id: v.id,
          values: v.values.map((x) => Math.fround(x)),
          ...(metadata ? { metadata } : {}),
        };
      });
      for (const record of checked) store.set(record.id, record);
      return ok({ upsertedCount: checked.length });
    }
    if (method === 'GET' && path === '/vectors/fetch') {
      const ns = request.query.get('namespace') ?? '';
      const store = index.space(ns, false);
      const vectors: Record<string, StubRecord> = {};
      for (const id of request.query.getAll('ids')) {
        const record = store?.get(id);
        if (record) vectors[id] = record;
      }
      return ok({ vectors, namespace: ns, usage: { readUnits: 1 } });
    }
    if (method === 'GET' && path === '/vectors/list') return ok(listIds(index, request.query));
    if (method === 'POST' && path === '/query') {
      const store = index.space(namespace, false);
      const vector = body.vector as number[];
      if (!Array.isArray(vector) || vector.length !== index.dimension)
        throw new BadRequest('query vector has the wrong dimension');
      const topK = Number(body.topK);
      const candidates = [...(store?.values() ?? [])].filter(
        (r) => body.filter === undefined || matchesFilter(body.filter, r.metadata),
      );
      const order = better(index.metric);
      const matches = candidates
        .map((r) => ({ r, s: score(index.metric, vector, r.values) }))
        .sort((a, b) => order(a.s, b.s))
        .slice(0, topK)
        .map(({ r, s }) => ({
          id: r.id,
          score: s,
          values: body.includeValues ? r.values : [],
          ...(body.includeMetadata && r.metadata ? { metadata: r.metadata } : {}),
        }));
      return ok({ matches, namespace, usage: { readUnits: 5 } });
    }
    if (method === 'POST' && path === '/vectors/delete') {
      const store = index.space(namespace, false);
      // Serverless answers 404 for a namespace that holds nothing.
      if (!store || store.size === 0) return error(404, 'Namespace not found');
      if (body.deleteAll === true) store.clear();
      else if (Array.isArray(body.ids)) for (const id of body.ids as string[]) store.delete(id);
      else if (body.filter !== undefined) {
        for (const [id, r] of store) if (matchesFilter(body.filter, r.metadata)) store.delete(id);
      } else throw new BadRequest('delete needs ids, filter or deleteAll');
      return ok({});
    }
    if (method === 'POST' && path === '/describe_index_stats') {
      const namespaces: Record<string, { vectorCount: number }> = {};
      let total = 0;
      for (const [name, store] of index.namespaces) {
        if (store.size === 0) continue;
        namespaces[name] = { vectorCount: store.size };
        total += store.size;
      }
      return ok({
        namespaces,
        dimension: index.dimension,
        indexFullness: 0,
        totalVectorCount: total,
        metric: index.metric,
        vectorType: 'dense',
      });
    }
    return error(404, `no route ${method} ${path}`);
  }
}

/**
 * Pinecone's id listing (serverless): ids of one namespace that start with `prefix`, in byte
 * order ("C" collation), `limit` of them (100 unless given), and an opaque `pagination.next`
 * while more follow (here: the last id listed, base64-encoded).
 */
function listIds(index: StubIndex, query: URLSearchParams): Record<string, unknown> {
  const namespace = query.get('namespace') ?? '';
  const prefix = query.get('prefix') ?? '';
  const limit = Number(query.get('limit') ?? 100);
  if (!Number.isInteger(limit) || limit < 1)
    throw new BadRequest('limit must be a positive integer');
  const token = query.get('paginationToken');
  const after = token === null ? undefined : Buffer.from(token, 'base64').toString('utf8');
  const bytes = (id: string) => Buffer.from(id, 'utf8');
  const ids = [...(index.space(namespace, false)?.keys() ?? [])]
    .filter((id) => id.startsWith(prefix))
    .filter((id) => after === undefined || Buffer.compare(bytes(id), bytes(after)) > 0)
    .sort((a, b) => Buffer.compare(bytes(a), bytes(b)));
  const page = ids.slice(0, limit);
  const last = page[page.length - 1];
  return {
    vectors: page.map((id) => ({ id })),
    ...(ids.length > limit && last !== undefined
      ? { pagination: { next: Buffer.from(last, 'utf8').toString('base64') } }
      : {}),
    namespace,
    usage: { readUnits: 1 },
  };
}

/** Pinecone's namespace names: at most 512 ASCII characters, no NUL. */
function checkNamespace(name: string): void {
  const ascii = [...name].every((c) => c.charCodeAt(0) > 0 && c.charCodeAt(0) < 128);
  if (name.length > 512 || !ascii)
    throw new BadRequest(`namespace ${JSON.stringify(name)} is not a valid namespace name`);
}

function ok(body: unknown): Scripted {
  return { status: 200, body };
}

export function error(status: number, message: string): Scripted {
  return { status, body: { error: { code: String(status), message }, status } };
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
