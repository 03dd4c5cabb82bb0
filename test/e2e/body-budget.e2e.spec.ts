import { connect, Socket } from 'node:net';
import { MetricsService } from '@vecgate/core';
import { Authenticator } from '@vecgate/tenancy';
import { BodyBudget } from '../../apps/gateway/src/http/body-budget';
import { eventually } from '../support/eventually';
import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

const MAX_BODY = 1024 * 1024;

/**
 * Bodies being received are held on the heap: a tenant that sends large bodies and holds
 * their last byte may fill its own share of BODY_BYTES_IN_FLIGHT (a quarter), never the
 * process's memory, and other tenants are served meanwhile.
 */
describe('request bodies in flight', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({
      env: { MAX_BODY_BYTES: String(MAX_BODY), BODY_BYTES_IN_FLIGHT: String(4 * MAX_BODY) },
    });
    for (const id of ['acme', 'globex'])
      await createTenant(gw.http, gw.tokens, { id, dimension: 3, metric: 'cosine' });
  });
  afterAll(() => gw.close(true));

  const search = (tenant: string) =>
    gw.http
      .post('/v1/search')
      .set(bearer(gw.tokens.tenant(tenant, ['reader'])))
      .send({ vector: [1, 0, 0], topK: 1 });

  /** Declares a body of MAX_BODY bytes, sends all of it but the last byte, and holds. */
  function holdBody(tenant: string): Socket {
    const token = gw.tokens.tenant(tenant, ['writer']);
    const socket = connect(gw.port, '127.0.0.1', () => {
      socket.write(
        `PUT /v1/vectors HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n` +
          `content-type: application/json\r\ncontent-length: ${MAX_BODY}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(MAX_BODY - 1, 0x20));
    });
    socket.on('error', () => undefined);
    return socket;
  }

  it("refuses a tenant's requests past its share with 429 while it holds a body, and serves others", async () => {
    const held = holdBody('acme');
    let refused: Awaited<ReturnType<typeof search>> | undefined;
    await eventually(5_000, async () => {
      refused = await search('acme');
      return refused.status === 429;
    });
    expect(refused?.body).toMatchObject({ status: 429, reason: 'body_budget' });
    const metrics = await gw.app.get(MetricsService).registry.metrics();
    expect(metrics).toContain(`vecgate_request_body_bytes_in_flight ${MAX_BODY}`);
    expect(refused?.headers['retry-after']).toBe('1');
    expect((await search('globex')).status).toBe(200);
    held.destroy();
    await eventually(5_000, async () => (await search('acme')).status === 200);
  });

  it('gives the room back when the client leaves while its authentication waits', async () => {
    const auth = gw.app.get(Authenticator);
    const budget = gw.app.get(BodyBudget);
    // A slow credential check, as an API key read from PostgreSQL or a JWKS fetch can be.
    const check = jest.spyOn(auth, 'authenticate');
    const real = check.getMockImplementation() ?? Authenticator.prototype.authenticate;
    check.mockImplementation(async function (this: Authenticator, ...args) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return real.apply(this, args);
    });
    try {
      const token = gw.tokens.tenant('acme', ['writer']);
      const socket = connect(gw.port, '127.0.0.1', () => {
        socket.write(
          `PUT /v1/vectors HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n` +
            `content-type: application/json\r\ncontent-length: ${MAX_BODY}\r\n\r\n{`,
        );
        setTimeout(() => socket.destroy(), 20);
      });
      socket.on('error', () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 400));
    } finally {
      check.mockRestore();
    }
    expect(budget.inFlight).toBe(0);
    expect((await search('acme')).status).toBe(200);
  });
});
