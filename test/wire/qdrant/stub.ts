import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { QdrantModel } from './model';
import { authorize } from './rbac-model';

/** One request as the stub received it: what the real client put on the wire. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** A scripted answer that replaces the model's for one request. */
export interface StubReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Answer this late (to trip the client's timeout). */
  readonly delayMs?: number;
}

export type Interceptor = (request: RecordedRequest) => StubReply | undefined;

export interface StubOptions {
  readonly distributed?: boolean;
  /** When set, every request must carry this `api-key` or a JWT it verifies (JWT RBAC on). */
  readonly apiKey?: string;
}

/**
 * A local HTTP server that answers like Qdrant (through QdrantModel) and records every request
 * the real `@qdrant/js-client-rest` client sends, so tests assert the exact bodies.
 */
export class QdrantStub {
  readonly requests: RecordedRequest[] = [];
  intercept: Interceptor | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly model: QdrantModel,
    private readonly apiKey: string | undefined,
  ) {}

  static async start(options: StubOptions = {}): Promise<QdrantStub> {
    const model = new QdrantModel({ distributed: options.distributed ?? false });
    // The handler needs the stub, which needs the server's port: set once listening.
    const holder: { stub?: QdrantStub } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const stub = holder.stub;
        if (!stub) return;
        const url = new URL(req.url ?? '/', 'http://stub');
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? (JSON.parse(text) as unknown) : undefined;
        } catch {
          return send(res, { status: 400, body: { status: { error: 'Format error: not JSON' } } });
        }
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body,
        };
        stub.requests.push(recorded);
        stub.answer(recorded, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.stub = new QdrantStub(server, `http://127.0.0.1:${port}`, model, options.apiKey);
    return holder.stub;
  }

  /** The requests received since the last call (and forgets them). */
  take(): RecordedRequest[] {
    return this.requests.splice(0, this.requests.length);
  }

  /** Method, path and query of each request, e.g. `PUT /collections/x/points?wait=true`. */
  static lines(requests: readonly RecordedRequest[]): string[] {
    return requests.map((r) => {
      const query = new URLSearchParams(r.query).toString();
      return `${r.method} ${r.path}${query ? `?${query}` : ''}`;
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) =>
      this.server.close((err) => (err ? reject(err) : resolve())),
    );
  }

  private answer(request: RecordedRequest, res: ServerResponse): void {
    const scripted = this.intercept?.(request);
    if (scripted) {
      if (scripted.delayMs) {
        setTimeout(() => send(res, scripted), scripted.delayMs).unref();
        return;
      }
      return send(res, scripted);
    }
    if (this.apiKey !== undefined) {
      const decision = authorize(
        this.model,
        this.apiKey,
        request.headers,
        request.method,
        request.path,
      );
      if (decision.status !== 200) {
        return send(res, { status: decision.status, body: { status: { error: decision.error } } });
      }
      if (decision.visible) {
        const visible = decision.visible;
        const names = [...this.model.collections.keys()].filter((n) => visible.includes(n));
        return send(res, {
          status: 200,
          body: { result: { collections: names.map((name) => ({ name })) }, status: 'ok', time: 0 },
        });
      }
    }
    send(res, this.model.handle(request));
  }
}

function send(res: ServerResponse, reply: StubReply): void {
  if (res.writableEnded || res.destroyed) return;
  const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  res.end(body);
}
