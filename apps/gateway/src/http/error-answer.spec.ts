import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TooManyRequestsError, UnauthorizedError } from '@vecgate/core';
import { addErrorDialect, answerProblem } from './error-answer';
import { toProblem } from './problem';

/** A Fastify instance whose every error, routed or not, is answered by `answerProblem`. */
function server(): FastifyInstance {
  const app = Fastify();
  addErrorDialect(app, (request) =>
    request.headers['x-dialect'] === 'a'
      ? (problem, elapsedMs) => ({
          status: problem.status === 502 ? 500 : problem.status,
          body: { a: problem.detail, timed: elapsedMs >= 0 },
        })
      : undefined,
  );
  addErrorDialect(app, (request) =>
    request.url.startsWith('/b/') || request.headers['x-dialect'] === 'a'
      ? (problem) => ({ status: 418, body: { b: problem.status } })
      : undefined,
  );
  const answer = (error: unknown, request: FastifyRequest, reply: FastifyReply): void =>
    void reply.send(answerProblem(request, reply, toProblem(error, request.url, 'rid')));
  app.setErrorHandler((error, request, reply) => answer(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    answer(Object.assign(new Error('no route'), { statusCode: 404 }), request, reply),
  );
  app.get('/refuse', () => {
    throw new UnauthorizedError('bad token', 'token_invalid');
  });
  app.get('/b/slow-down', () => {
    throw new TooManyRequestsError('too many', 7);
  });
  return app;
}

describe('answerProblem', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = server();
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers problem+json with a Bearer challenge when no dialect claims the request', async () => {
    const res = await app.inject({ method: 'GET', url: '/refuse' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toMatchObject({ status: 401, detail: 'bad token', requestId: 'rid' });
  });

  it('answers in the first claiming dialect’s shape and status, without the Bearer challenge', async () => {
    const res = await app.inject({ method: 'GET', url: '/refuse', headers: { 'x-dialect': 'a' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.json()).toEqual({ a: 'bad token', timed: true });
  });

  it('shapes errors raised before routing by where the request arrived', async () => {
    const unrouted = await app.inject({ method: 'POST', url: '/b/nowhere' });
    expect([unrouted.statusCode, unrouted.json()]).toEqual([418, { b: 404 }]);
    const outside = await app.inject({ method: 'POST', url: '/c/nowhere' });
    expect(outside.statusCode).toBe(404);
    expect(outside.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('keeps Retry-After on a dialect’s answer', async () => {
    const res = await app.inject({ method: 'GET', url: '/b/slow-down' });
    expect([res.statusCode, res.headers['retry-after'], res.json()]).toEqual([
      418,
      '7',
      { b: 429 },
    ]);
  });
});
