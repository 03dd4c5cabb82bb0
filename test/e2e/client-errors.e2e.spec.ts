import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { AuditRecord } from '../support/audit-trail';
import { auditOf } from '../support/audit-trail';
import { parseAnswer, RawAnswer } from '../support/raw-http';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

interface ClosedAnswer extends RawAnswer {
  /** Whether the gateway closed the connection after the answer. */
  readonly closed: boolean;
}

/**
 * Writes bytes on a plain socket (an HTTP client would refuse an over-long header, or fix a
 * malformed request line) and reads what comes back until the gateway closes the connection.
 */
function exchange(port: number, chunks: string[], gapMs = 0): Promise<ClosedAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      void (async () => {
        for (const chunk of chunks) {
          if (socket.destroyed) return;
          socket.write(chunk);
          if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        }
      })();
    });
    let data = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    // The client keeps writing until it sees the answer: a reset on its late bytes is expected.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', () => {
      closed = true;
      resolve({ ...parseAnswer(data), closed });
    });
    socket.setTimeout(15_000, () => socket.destroy());
  });
}

const request = (target: string, headers: string[] = []): string =>
  [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...headers, '', ''].join('\r\n');

const problemOf = (answer: ClosedAnswer): Record<string, unknown> =>
  JSON.parse(answer.body) as Record<string, unknown>;

/** The events recorded under the gateway's own request id. */
async function eventsOf(gw: TestGateway, requestId: string): Promise<AuditRecord[]> {
  await gw.flushAudit();
  const res = await gw.http
    .get('/v1/admin/audit')
    .query({ requestId })
    .set(bearer(gw.tokens.platform(['auditor'])));
  expect(res.status).toBe(200);
  return (res.body as { items: AuditRecord[] }).items;
}

describe('requests Node refuses before routing (clientError)', () => {
  let gw: TestGateway;
  let port: number;

  beforeAll(async () => {
    gw = await startGateway({ env: { HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000' } });
    port = gw.port;
  });
  afterAll(() => gw.close(true));

  /** The guarantee every such answer keeps: problem+json, its request id, the connection closed. */
  function expectProblem(answer: ClosedAnswer, status: number): Record<string, unknown> {
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(answer.headers.connection).toBe('close');
    expect(answer.closed).toBe(true);
    const problem = problemOf(answer);
    expect(problem).toEqual({
      type: 'about:blank',
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance: '',
      requestId: answer.headers['x-request-id'],
    });
    expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    return problem;
  }

  it('answers a path over the 16 KiB header limit with 431 problem+json, audited under its id', async () => {
    const answer = await exchange(port, [request(`/v1/vectors/${'a'.repeat(17_000)}`)]);
    const problem = expectProblem(answer, 431);
    expect(problem.title).toBe('Request Header Fields Too Large');
    expect(problem.detail).toContain('exceed');
    const events = await eventsOf(gw, answer.headers['x-request-id'] as string);
    expect(events.map((e) => [e.status, e.outcome, e.action])).toEqual([
      [431, 'denied', 'http.invalid_request'],
    ]);
  });

  it('answers a 17 KB header under /pinecone in problem+json too (no dialect before parsing)', async () => {
    const answer = await exchange(port, [
      request('/pinecone/indexes', [`x-filler: ${'b'.repeat(17_000)}`]),
    ]);
    expectProblem(answer, 431);
  });

  it('still answers a path under the limit with 414 from the router, not 431', async () => {
    const answer = await exchange(port, [
      request(`/v1/vectors/${'a'.repeat(9000)}`, ['Connection: close']),
    ]);
    expect(answer.status).toBe(414);
    expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  });

  it('answers bytes that are not HTTP with 400 problem+json naming the parse error', async () => {
    const answer = await exchange(port, ['GET /v1/stats HTTP/1.1\r\nHost x\r\n\r\n']);
    const problem = expectProblem(answer, 400);
    expect(problem.detail).toMatch(/not valid HTTP \(HPE_[A-Z_]+\)/);
    expect(
      (await eventsOf(gw, answer.headers['x-request-id'] as string)).map((e) => e.status),
    ).toEqual([400]);
  });

  it('answers CONNECT, which no route serves, with 405 problem+json, audited', async () => {
    const answer = await exchange(port, [
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    ]);
    const problem = expectProblem(answer, 405);
    expect(problem.detail).toBe('CONNECT is not served here: vecgate is not a proxy');
    expect(
      (await eventsOf(gw, answer.headers['x-request-id'] as string)).map((e) => e.status),
    ).toEqual([405]);
  });

  it('answers headers that never finish with 408 problem+json', async () => {
    const answer = await exchange(port, ['GET /v1/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n']);
    expectProblem(answer, 408);
  }, 10_000);

  it('answers a body that never arrives with 408 under the id of the request’s own audit event', async () => {
    const clientId = randomUUID();
    const answer = await exchange(port, [
      'POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `authorization: Bearer ${gw.tokens.tenant('nobody', ['reader'])}\r\n` +
        `x-request-id: ${clientId}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"vector":`,
    ]);
    expectProblem(answer, 408);
    const events = await auditOf(gw, clientId);
    expect(events.map((e) => [e.requestId, e.status])).toEqual([
      [answer.headers['x-request-id'], 408],
    ]);
  }, 10_000);
});

describe('requests Node refuses, charged to their address', () => {
  let gw: TestGateway;
  let port: number;

  beforeAll(async () => {
    gw = await startGateway({
      env: { UNAUTH_RATE_LIMIT_RPS: '1', UNAUTH_RATE_LIMIT_BURST: '3' },
    });
    port = gw.port;
  });
  afterAll(() => gw.close(true));

  it('turns a flood of over-long headers into 429 with Retry-After, in problem+json', async () => {
    const seen: number[] = [];
    let last: RawAnswer | undefined;
    for (let i = 0; i < 6; i++) {
      last = await exchange(port, [request('/v1/stats', [`x-filler: ${'c'.repeat(17_000)}`])]);
      seen.push(last.status);
    }
    expect(seen.slice(0, 3)).toEqual([431, 431, 431]);
    expect(seen.slice(4)).toEqual([429, 429]);
    expect(last?.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(Number(last?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(problemOf(last as ClosedAnswer)).toMatchObject({ status: 429, reason: 'rate_limited' });
  });
});
