import { Agent, request } from 'node:http';
import { connect, Socket } from 'node:net';

/** An answer, or the transport error a client saw instead. */
export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
  readonly error?: string;
}

export interface Call {
  readonly method: string;
  readonly path: string;
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly agent?: Agent;
  readonly localAddress?: string;
  readonly timeoutMs?: number;
}

/**
 * One HTTP call over node:http, so that a client can choose its local address (the quiet tenant
 * speaks from 127.0.0.2, the attackers from 127.0.0.1) and its own timeout. status 0 = no answer.
 */
export function call(port: number, c: Call): Promise<Reply> {
  const started = process.hrtime.bigint();
  const ms = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  const payload = c.body === undefined ? undefined : JSON.stringify(c.body);
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: c.method,
        path: c.path,
        agent: c.agent,
        localAddress: c.agent ? undefined : c.localAddress,
        headers: {
          ...(c.token ? { authorization: `Bearer ${c.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...c.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ms: ms(),
          }),
        );
        res.on('error', (err) => resolve({ status: 0, body: '', ms: ms(), error: err.message }));
      },
    );
    req.setTimeout(c.timeoutMs ?? 120_000, () => req.destroy(new Error('client timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', ms: ms(), error: err.message }));
    req.end(payload);
  });
}

/** A raw request as bytes, for sockets that pipeline or never finish. */
export function rawRequest(path: string, token: string, body: unknown, requestId: string): string {
  const payload = JSON.stringify(body);
  return (
    `POST ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n` +
    `x-request-id: ${requestId}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`
  );
}

/** Opens a socket from a local address; resolves once connected, or with null if refused. */
export function openSocket(port: number, localAddress: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', () => resolve(null));
  });
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `work` over `items` with at most `width` at once. */
export async function pool<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}
