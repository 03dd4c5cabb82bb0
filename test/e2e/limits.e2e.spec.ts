import { BackendDrivers, EmbeddedBackend } from '@vecgate/isolation';
import { expectAudited, newRequestId } from '../support/audit-trail';
import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

describe('limits', () => {
  let gw: TestGateway;
  let writer: Record<string, string>;
  const DIM = 8;
  const vec = (v = 1): number[] => Array.from({ length: DIM }, (_, i) => v + i);

  beforeAll(async () => {
    gw = await startGateway({ env: { MAX_BODY_BYTES: String(512 * 1024) } });
    await createTenant(gw.http, gw.tokens, { id: 'lim', dimension: DIM, metric: 'cosine' });
    writer = bearer(gw.tokens.tenant('lim', ['reader', 'writer', 'tenant_admin']));
  });
  afterAll(() => gw.close(true));

  const count = async (): Promise<number> =>
    ((await gw.http.get('/v1/stats').set(writer)).body as { vectorCount: number }).vectorCount;

  it('answers 413 to a body over MAX_BODY_BYTES, before any work, and audits it', async () => {
    const requestId = newRequestId();
    const huge = {
      vectors: [{ id: 'x', values: vec(), metadata: { pad: 'x'.repeat(600 * 1024) } }],
    };
    const res = await gw.http
      .put('/v1/vectors')
      .set({ ...writer, 'x-request-id': requestId })
      .send(huge);
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
    await expectAudited(gw, requestId, 413);
    expect(await count()).toBe(0);
  });

  it('answers 413 to a body over the limit from a caller without a token, without reading it', async () => {
    const res = await gw.http
      .put('/v1/vectors')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(600 * 1024) }));
    expect([401, 413]).toContain(res.status);
    expect(res.status).toBe(401);
  });

  it('answers 413 to a batch over 1,000 records and writes none of it', async () => {
    const vectors = Array.from({ length: 1001 }, (_, i) => ({
      id: `b${i}`,
      values: [1, 0, 0, 0, 0, 0, 0, i + 1],
    }));
    const res = await gw.http.put('/v1/vectors').set(writer).send({ vectors });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ field: 'vectors' });
    expect(await count()).toBe(0);
  });

  it.each([
    ['a wrong dimension', { id: 'a', values: [1, 2, 3] }, 422, 'vectors[1].values'],
    ['a string value', { id: 'a', values: [...vec().slice(1), 'x'] }, 400, 'vectors[1].values[7]'],
    [
      'an overflowing float',
      { id: 'a', values: [...vec().slice(1), 1e39] },
      422,
      'vectors[1].values[7]',
    ],
    [
      'a zero vector under cosine',
      { id: 'a', values: Array.from({ length: DIM }, () => 0) },
      422,
      'vectors[1].values',
    ],
    ['a control character in the id', { id: 'a\u0000b', values: vec() }, 400, 'vectors[1].id'],
    ['a C1 control (CSI) in the id', { id: 'c1-\u009b31m', values: vec() }, 400, 'vectors[1].id'],
    ['an id over 512 characters', { id: 'i'.repeat(513), values: vec() }, 400, 'vectors[1].id'],
    ['a duplicate id', { id: 'ok-0', values: vec() }, 400, 'vectors[1].id'],
    ['an unknown property', { id: 'a', values: vec(), metdata: {} }, 400, 'vectors[1].metdata'],
    [
      'metadata over the default tier limit of 40 KiB',
      {
        id: 'a',
        values: vec(),
        metadata: { text: 'x'.repeat(30_000), more: 'x'.repeat(11_000) },
      },
      413,
      'vectors[1].metadata',
    ],
    [
      // Refused once what was checked is past the limit: the bad key at the end is never reached.
      'nested metadata keys past the limit before a bad one',
      {
        id: 'a',
        values: vec(),
        metadata: {
          a: Object.fromEntries([
            ...Array.from({ length: 10_000 }, (_, i) => [`key${i}`, i]),
            ['bad-key', 1],
          ]),
        },
      },
      413,
      'vectors[1].metadata',
    ],
    [
      'a metadata string over 65,536 characters',
      { id: 'a', values: vec(), metadata: { text: 'x'.repeat(65_537) } },
      400,
      'vectors[1].metadata.text',
    ],
    [
      'a metadata key with an empty segment',
      { id: 'a', values: vec(), metadata: { 'loc..from': 1 } },
      400,
      'vectors[1].metadata.loc..from',
    ],
    [
      'a reserved segment in a dotted metadata key',
      { id: 'a', values: vec(), metadata: { nested: { 'meta.tenant_id': 'x' } } },
      400,
      'body.vectors[1].metadata.nested.meta.tenant_id',
    ],
    [
      'metadata nested too deep',
      { id: 'a', values: vec(), metadata: { a: { b: { c: { d: { e: 1 } } } } } },
      400,
      'vectors[1].metadata.a.b.c.d',
    ],
    [
      'a bad metadata key',
      { id: 'a', values: vec(), metadata: { 'a-b': 1 } },
      400,
      'vectors[1].metadata.a-b',
    ],
  ])(
    'refuses a batch with %s, naming the field, and writes nothing of it',
    async (_n, bad, status, field) => {
      const res = await gw.http
        .put('/v1/vectors')
        .set(writer)
        .send({ vectors: [{ id: 'ok-0', values: vec() }, bad] });
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ field });
      expect(await count()).toBe(0);
    },
  );

  it.each([
    ['topK above 1,000', { vector: vec(), topK: 1001 }, 400, 'topK'],
    ['topK of zero', { vector: vec(), topK: 0 }, 400, 'topK'],
    ['a fractional topK', { vector: vec(), topK: 2.5 }, 400, 'topK'],
    ['a wrong dimension', { vector: [1, 2], topK: 3 }, 422, 'vector'],
    ['a non-array vector', { vector: 'abc', topK: 3 }, 400, 'vector'],
    ['an unknown property', { vector: vec(), topK: 3, includeScores: true }, 400, 'includeScores'],
  ])('refuses a search with %s', async (_n, body, status, field) => {
    const res = await gw.http.post('/v1/search').set(writer).send(body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ field });
  });

  it('refuses delete with an empty filter unless deleteAll is true', async () => {
    await gw.http
      .put('/v1/vectors')
      .set(writer)
      .send({ vectors: [{ id: 'keep', values: vec() }] });
    const refused = await gw.http.post('/v1/vectors/delete').set(writer).send({ filter: {} });
    expect(refused.status).toBe(400);
    expect(await count()).toBe(1);
    const all = await gw.http.post('/v1/vectors/delete').set(writer).send({ deleteAll: true });
    expect(all.body).toEqual({ deleted: 1 });
  });

  it.each([
    ['text/plain', 'hello', 415],
    ['application/json', '{"vector": [1,', 400],
    ['application/json', '{"__proto__": {"x": 1}, "vector": [1], "topK": 1}', 400],
    ['application/x-www-form-urlencoded', 'vector=1&topK=1', 415],
  ])('answers %s body %j with %i as problem+json', async (type, body, status) => {
    const res = await gw.http
      .post('/v1/search')
      .set({ ...writer, 'content-type': type })
      .send(body);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('answers 404 as problem+json for an unknown route', async () => {
    const res = await gw.http.get('/v1/nothing-here').set(writer);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});

describe('per-tenant rate limit', () => {
  it('answers 429 with Retry-After once the burst is spent, for that tenant only', async () => {
    const gw = await startGateway({ env: { RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '3' } });
    try {
      for (const id of ['busy', 'calm'])
        await createTenant(gw.http, gw.tokens, { id, dimension: 2, metric: 'dot' });
      const busy = bearer(gw.tokens.tenant('busy', ['reader']));
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await gw.http
          .post('/v1/search')
          .set(busy)
          .send({ vector: [1, 0], topK: 1 });
        statuses.push(res.status);
        if (res.status === 429)
          expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.slice(3)).toEqual([429, 429]);
      const calm = await gw.http
        .post('/v1/search')
        .set(bearer(gw.tokens.tenant('calm', ['reader'])))
        .send({ vector: [1, 0], topK: 1 });
      expect(calm.status).toBe(200);
    } finally {
      await gw.close(true);
    }
  });
});

describe('open per-tenant files are bounded', () => {
  it('serves more database tenants than EMBEDDED_MAX_OPEN_FILES, all of them, twice over', async () => {
    const gw = await startGateway({
      env: { EMBEDDED_MAX_OPEN_FILES: '3', EMBEDDED_CACHE_MB: '1' },
    });
    try {
      const embedded = gw.app.get(BackendDrivers).get('embedded') as EmbeddedBackend;
      const ids = Array.from({ length: 10 }, (_, i) => `file-${i}`);
      for (const id of ids)
        await createTenant(gw.http, gw.tokens, {
          id,
          tier: 'enterprise',
          dimension: 2,
          metric: 'euclidean',
        });
      for (let round = 0; round < 2; round++) {
        for (const [i, id] of ids.entries()) {
          const token = bearer(gw.tokens.tenant(id, ['reader', 'writer']));
          const put = await gw.http
            .put('/v1/vectors')
            .set(token)
            .send({ vectors: [{ id: `r${round}`, values: [i, round] }] });
          expect(put.status).toBe(200);
          const found = await gw.http
            .post('/v1/search')
            .set(token)
            .send({ vector: [i, round], topK: 5 });
          expect((found.body as { matches: { id: string }[] }).matches.map((m) => m.id)).toContain(
            `r${round}`,
          );
          expect(await embedded.openTenantFiles()).toBeLessThanOrEqual(3);
        }
      }
    } finally {
      await gw.close(true);
    }
  });
});

describe('body-less requests', () => {
  it('accepts a DELETE that sends a JSON content type without a body, and still refuses an empty POST', async () => {
    const gw = await startGateway();
    try {
      await createTenant(gw.http, gw.tokens, { id: 'empty-body', dimension: 2, metric: 'dot' });
      const admin = bearer(gw.tokens.platform());
      const search = await gw.http
        .post('/v1/search')
        .set({
          ...bearer(gw.tokens.tenant('empty-body', ['reader'])),
          'content-type': 'application/json',
        })
        .send('');
      expect(search.status).toBe(400);
      const deleted = await gw.http
        .delete('/v1/admin/tenants/empty-body')
        .set({ ...admin, 'content-type': 'application/json' });
      // 204, or 202 when the suites run with replicas (PostgreSQL).
      expect([202, 204]).toContain(deleted.status);
    } finally {
      await gw.close(true);
    }
  });
});

describe('requests Fastify refuses before routing', () => {
  it.each([
    ['a malformed percent-encoding', '/v1/vectors/%zz', 400],
    ['a path parameter beyond the router limit', `/v1/vectors/${'x'.repeat(9000)}`, 414],
  ])('answers %s as problem+json, with its audit event', async (_name, path, status) => {
    const gw = await startGateway({ env: { AUDIT_UNAUTHENTICATED_PER_SECOND: '1000' } });
    try {
      const requestId = newRequestId();
      const res = await gw.http
        .get(path)
        .set({ ...bearer(gw.tokens.platform()), 'x-request-id': requestId });
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const event = await expectAudited(gw, requestId, status);
      // The answer names the gateway's own id, which is the event's key; the client's is kept.
      expect(res.headers['x-request-id']).toBe(event.requestId);
      expect(event.clientRequestId).toBe(requestId);
    } finally {
      await gw.close(true);
    }
  });
});
