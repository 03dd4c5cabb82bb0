import { connect } from 'node:net';
import type { TestGateway } from './test-gateway';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Sends one request over a plain socket with the request line and headers exactly as given:
 * HTTP client libraries (supertest included) normalise `..` segments away and merge repeated
 * headers before sending. Headers given as pairs are sent in that order, repeats included.
 */
export async function rawRequest(
  gw: TestGateway,
  method: string,
  path: string,
  headers: Record<string, string> | readonly (readonly [string, string])[] = {},
  body?: string | Buffer,
): Promise<RawAnswer> {
  const { port } = gw;
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [name, value] of pairs) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const request = Buffer.concat([
    Buffer.from(`${lines.join('\r\n')}\r\n\r\n`),
    typeof body === 'string' ? Buffer.from(body) : (body ?? Buffer.alloc(0)),
  ]);
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy());
  });
  return parseAnswer(text);
}

/** An HTTP/1.1 answer read off a socket: status, headers (lower-cased names) and body. */
export function parseAnswer(text: string): RawAnswer {
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}
