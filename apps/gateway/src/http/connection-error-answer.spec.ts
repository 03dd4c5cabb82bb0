import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { qdrantError } from '../dialects/qdrant/qdrant-errors';
import { answerConnectionError, ConnectionError, tagRequestId } from './error-answer';

/** A socket that keeps what is written to it. */
function socketOf(inFlight?: Partial<ServerResponse>): { socket: Duplex; written: () => string } {
  const chunks: string[] = [];
  const socket = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _encoding, done) => {
      chunks.push(chunk.toString());
      done();
    },
  });
  Object.assign(socket, { remoteAddress: '192.0.2.7', _httpMessage: inFlight ?? null });
  return { socket, written: () => chunks.join('') };
}

const errorOf = (code: string): ConnectionError => Object.assign(new Error(code), { code });

function parse(text: string): { head: string[]; body: Record<string, unknown> } {
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  return { head: head.split('\r\n'), body: JSON.parse(body) as Record<string, unknown> };
}

const flushed = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('answerConnectionError', () => {
  let recorded: [FastifyRequest, number, string][];
  let wait: number;
  let fastify: FastifyInstance;

  beforeEach(() => {
    recorded = [];
    wait = 0;
    fastify = {
      vgRecordRefused: (request: FastifyRequest, status: number, reason: string) => {
        recorded.push([request, status, reason]);
        return wait;
      },
    } as unknown as FastifyInstance;
  });

  it('answers headers over the limit with 431 problem+json, records it once, and closes', async () => {
    const { socket, written } = socketOf();
    answerConnectionError(fastify, errorOf('HPE_HEADER_OVERFLOW'), socket);
    // A parse error repeats for every later chunk: it is answered and recorded once.
    answerConnectionError(fastify, errorOf('HPE_HEADER_OVERFLOW'), socket);
    await flushed();
    const { head, body } = parse(written());
    expect(head[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(head).toEqual(
      expect.arrayContaining([
        'content-type: application/problem+json; charset=utf-8',
        `x-request-id: ${String(body.requestId)}`,
        'connection: close',
      ]),
    );
    expect(body).toMatchObject({ title: 'Request Header Fields Too Large', status: 431 });
    expect(recorded.map(([r, status]) => [r.id, r.ip, status])).toEqual([
      [body.requestId, '192.0.2.7', 431],
    ]);
    expect(socket.destroyed).toBe(true);
  });

  it('answers other parse errors 400, and 429 with Retry-After past the address budget', async () => {
    const first = socketOf();
    answerConnectionError(fastify, errorOf('HPE_INVALID_METHOD'), first.socket);
    wait = 3;
    const second = socketOf();
    answerConnectionError(fastify, errorOf('HPE_INVALID_METHOD'), second.socket);
    await flushed();
    expect(parse(first.written()).body).toMatchObject({
      status: 400,
      detail: 'the request is not valid HTTP (HPE_INVALID_METHOD)',
    });
    const throttled = parse(second.written());
    expect(throttled.head).toEqual(expect.arrayContaining(['retry-after: 3']));
    expect(throttled.body).toMatchObject({ status: 429, reason: 'rate_limited' });
  });

  it('answers in the listener’s dialect when it has one', async () => {
    const { socket, written } = socketOf();
    answerConnectionError(fastify, errorOf('HPE_HEADER_OVERFLOW'), socket, qdrantError);
    await flushed();
    const { head, body } = parse(written());
    expect(head).toEqual(expect.arrayContaining(['content-type: application/json; charset=utf-8']));
    expect(body).toEqual({
      status: { error: expect.stringMatching(/^Request Header Fields Too Large: /) },
      time: 0,
    });
  });

  it('answers a request whose body never came 408 under its own id, leaving its event to the pipeline', async () => {
    const req = {} as IncomingMessage;
    tagRequestId(req, 'the-request');
    const { socket, written } = socketOf({ headersSent: false, req });
    answerConnectionError(fastify, errorOf('ERR_HTTP_REQUEST_TIMEOUT'), socket);
    await flushed();
    expect(parse(written()).body).toMatchObject({ status: 408, requestId: 'the-request' });
    expect(recorded).toEqual([]);
  });

  it('writes nothing over an answer already under way, nor on a reset socket', async () => {
    const busy = socketOf({ headersSent: true });
    answerConnectionError(fastify, errorOf('HPE_INVALID_METHOD'), busy.socket);
    const reset = socketOf();
    answerConnectionError(fastify, errorOf('ECONNRESET'), reset.socket);
    await flushed();
    expect([busy.written(), busy.socket.destroyed]).toEqual(['', true]);
    expect(reset.written()).toBe('');
    expect(recorded).toEqual([]);
  });
});
