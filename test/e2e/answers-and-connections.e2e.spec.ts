import { connect, Socket } from 'node:net';
import { request as httpRequest } from 'node:http';
import { getHeapStatistics } from 'node:v8';
import { MemoryGuard } from '../../apps/gateway/src/http/memory-guard';
import { auditOf, newRequestId } from '../support/audit-trail';
import { createTenant } from '../support/fixtures';
import { rng } from '../support/rng';
import { startGateway, TestGateway } from '../support/test-gateway';
import { expectDeliveredPrefix, trailsAfterDrop, waitFor } from '../support/delivery';
import { bearer } from '../support/tokens';

const WIDE = 4096;

/** GET on the listening gateway from a chosen local address; resolves the status or the error. */
function getFrom(
  port: number,
  localAddress: string,
  path: string,
  token: string,
): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        localAddress,
        headers: { authorization: `Bearer ${token}` },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

describe('bounded answers, memory guard and connections', () => {
  let gw: TestGateway;
  let port: number;
  let pressure = false;
  const limit = getHeapStatistics().heap_size_limit;
  const as = (tenant: string, role: string): Record<string, string> =>
    bearer(gw.tokens.tenant(tenant, [role]));

  beforeAll(async () => {
    gw = await startGateway({
      env: { SOCKET_WRITE_TIMEOUT_MS: '1000', MAX_CONNECTIONS_PER_IP: '5', MAX_CONNECTIONS: '50' },
      override: (builder) =>
        builder.overrideProvider(MemoryGuard).useFactory({
          factory: () => new MemoryGuard(85, 10, () => (pressure ? limit * 0.9 : 0)),
        }),
    });
    port = gw.port;
    await createTenant(gw.http, gw.tokens, { id: 'wide', dimension: WIDE, metric: 'dot' });
    await createTenant(gw.http, gw.tokens, { id: 'narrow', dimension: 4, metric: 'dot' });
    const random = rng(7);
    for (let batch = 0; batch < 5; batch++) {
      const vectors = Array.from({ length: 50 }, (_, i) => ({
        id: `w${batch * 50 + i}`,
        values: Array.from({ length: WIDE }, () => random() - 0.5),
      }));
      const res = await gw.http.put('/v1/vectors').set(as('wide', 'writer')).send({ vectors });
      expect(res.status).toBe(200);
    }
    const narrow = Array.from({ length: 20 }, (_, i) => ({ id: `n${i}`, values: [i, 1, 2, 3] }));
    expect(
      (await gw.http.put('/v1/vectors').set(as('narrow', 'writer')).send({ vectors: narrow }))
        .status,
    ).toBe(200);
  }, 60_000);
  afterAll(() => gw.close(true));

  const search = (tenant: string, body: object, requestId = newRequestId()) =>
    gw.http
      .post('/v1/search')
      .set({ ...as(tenant, 'reader'), 'x-request-id': requestId })
      .send({ vector: Array.from({ length: tenant === 'wide' ? WIDE : 4 }, () => 0.1), ...body });

  it('refuses an answer of more than 262,144 floats with 400 naming topK and the limit', async () => {
    const id = newRequestId();
    const res = await search('wide', { topK: 65, includeValues: true }, id);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'topK', reason: 'limit:answer_floats' });
    expect(res.body.detail).toContain('262144');
    expect(res.body.detail).toContain('at most 64');
    expect((await auditOf(gw, id)).map((e) => e.status)).toEqual([400]);
  });

  it('serves the largest answer within the bound, and topK 1000 without values', async () => {
    const full = await search('wide', { topK: 64, includeValues: true });
    expect(full.status).toBe(200);
    expect(full.body.matches).toHaveLength(64);
    expect(full.body.matches[0].values).toHaveLength(WIDE);
    const ids = await search('wide', { topK: 1000 });
    expect(ids.status).toBe(200);
    expect(ids.body.matches).toHaveLength(250);
  });

  it('bounds the answer by the tenant’s own dimension: a narrow tenant gets topK 1000 with values', async () => {
    const res = await search('narrow', { topK: 1000, includeValues: true });
    expect(res.status).toBe(200);
    expect(res.body.matches).toHaveLength(20);
  });

  it('refuses heavy work with 503 memory_guard under heap pressure, and still serves a fetch', async () => {
    pressure = true;
    await new Promise((r) => setTimeout(r, 50));
    try {
      const id = newRequestId();
      const refused = await search('narrow', { topK: 3 }, id);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body.reason).toBe('memory_guard');
      const write = await gw.http
        .put('/v1/vectors')
        .set(as('narrow', 'writer'))
        .send({ vectors: [{ id: 'late', values: [1, 1, 1, 1] }] });
      expect(write.status).toBe(503);
      const fetched = await gw.http.get('/v1/vectors/n1').set(as('narrow', 'reader'));
      expect(fetched.status).toBe(200);
      expect((await auditOf(gw, id)).map((e) => [e.status, e.outcome])).toEqual([[503, 'error']]);
    } finally {
      pressure = false;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await search('narrow', { topK: 3 })).status).toBe(200);
  });

  it('drops a connection that does not read its answers and audits them 499, not 200', async () => {
    const ids = Array.from({ length: 12 }, () => newRequestId());
    const body = JSON.stringify({
      vector: Array.from({ length: WIDE }, () => 0.1),
      topK: 64,
      includeValues: true,
    });
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise((r) => socket.once('connect', r));
    socket.on('error', () => undefined);
    // Pipelined requests of ~5 MB answers each: more than the kernel's socket buffers hold.
    for (const id of ids) {
      socket.write(
        `POST /v1/search HTTP/1.1\r\nhost: x\r\nx-request-id: ${id}\r\n` +
          `authorization: Bearer ${gw.tokens.tenant('wide', ['reader'])}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.pause();
    // One audit read at a time: this gateway allows 5 connections per address.
    const trails = await trailsAfterDrop(async () => {
      const read = [];
      for (const id of ids) read.push(await auditOf(gw, id));
      return read;
    });
    expectDeliveredPrefix(trails);
    socket.destroy();
  }, 60_000);

  it('closes connections over the per-address cap at once, and serves another address', async () => {
    const reader = gw.tokens.tenant('narrow', ['reader']);
    const held: Socket[] = [];
    let closedByServer = 0;
    for (let i = 0; i < 20; i++) {
      const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
      s.on('error', () => undefined);
      s.on('close', () => closedByServer++);
      s.on('connect', () => s.write('POST /v1/search HTTP/1.1\r\nhost: x\r\n'));
      held.push(s);
    }
    await waitFor(() => closedByServer >= 15);
    await new Promise((r) => setTimeout(r, 200));
    // At most the cap stays open (fewer if an earlier test's connection is still counted).
    expect(closedByServer).toBeGreaterThanOrEqual(15);
    expect(closedByServer).toBeLessThan(20);
    expect(await getFrom(port, '127.0.0.2', '/v1/vectors/n1', reader)).toBe(200);
    expect(await getFrom(port, '127.0.0.1', '/v1/vectors/n1', reader)).not.toBe(200);
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect(await getFrom(port, '127.0.0.1', '/v1/vectors/n1', reader)).toBe(200);
  });
});
