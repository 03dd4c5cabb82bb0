import { Logger } from '@nestjs/common';
import { MetricsService } from '@vecgate/core';
import { rawRequest } from '../support/raw-http';
import { startGateway, TestGateway } from '../support/test-gateway';

/**
 * Errors raised outside vecgate's own code (the static file handler behind /docs, Fastify)
 * carry an HTTP status. They keep it: a client error is never turned into a 500.
 */
describe('errors that carry an HTTP status', () => {
  let gw: TestGateway;
  let errors: jest.SpyInstance;

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close(true));
  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error');
  });
  afterEach(() => errors.mockRestore());

  it.each([
    ['GET', '/docs/../../../../etc/passwd'],
    ['HEAD', '/docs/../x'],
    ['GET', '/docs/%2e%2e/%2e%2e/etc/passwd'],
    ['GET', '/docs/does-not-exist.js'],
  ])(
    'answers %s %s (path sent as is) with a 4xx, logged below error level',
    async (method, path) => {
      const answer = await rawRequest(gw, method, path);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.headers['x-request-id']).toBeTruthy();
      if (method === 'GET') {
        expect(JSON.parse(answer.body)).toMatchObject({
          status: answer.status,
          requestId: answer.headers['x-request-id'],
        });
        expect(answer.body).not.toContain('root:');
      }
      expect(errors).not.toHaveBeenCalled();
    },
  );

  it('counts those answers in the request metrics by their status', async () => {
    await rawRequest(gw, 'GET', '/docs/../../../../etc/passwd');
    const text = await gw.app.get(MetricsService).registry.metrics();
    expect(text).toMatch(
      /vecgate_http_requests_total\{method="GET",route="[^"]*",status="40[34]"\}/,
    );
    expect(text).not.toMatch(/vecgate_http_requests_total\{[^}]*status="500"\}/);
  });
});
