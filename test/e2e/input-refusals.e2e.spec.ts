import type { Response } from 'supertest';
import { gzipSync } from 'node:zlib';
import { keyFor } from '../dialects/pinecone-support';
import {
  quietInsecureKeyWarning,
  QdrantGateway,
  startQdrantGateway,
} from '../dialects/qdrant-support';
import { auditOf, newRequestId } from '../support/audit-trail';
import type { TestGateway } from '../support/test-gateway';
import { rawRequest } from '../support/raw-http';
import { bearer } from '../support/tokens';

/**
 * A refused input is named by what is actually wrong with it: a missing field as missing, a
 * value of the wrong type as such before the range it also misses, a prototype key in valid
 * JSON as that key, and a query parameter no route takes as unknown rather than ignored.
 */
describe('refusals name what is wrong with the input', () => {
  let q: QdrantGateway;
  let gw: TestGateway;
  let tenant: Record<string, string>;
  let platform: Record<string, string>;

  beforeAll(async () => {
    quietInsecureKeyWarning();
    q = await startQdrantGateway({
      acme: { dimension: 3, metric: 'cosine' },
      globex: { dimension: 3, metric: 'cosine' },
    });
    gw = q.gw;
    tenant = bearer(gw.tokens.tenant('acme', ['reader', 'writer', 'tenant_admin']));
    platform = bearer(gw.tokens.platform(['platform_admin', 'auditor']));
    const write = await gw.http
      .put('/v1/vectors')
      .set(tenant)
      .send({ vectors: [{ id: 'd1', values: [1, 2, 3] }], namespace: 'docs' });
    expect(write.status).toBe(200);
  });
  afterAll(() => q.close());

  const json = (headers: Record<string, string>) => ({
    ...headers,
    'content-type': 'application/json',
  });

  describe('validation messages', () => {
    it.each([
      ['missing', undefined, 'topK is required'],
      ['null', null, 'topK is required'],
      ['"5"', '5', 'topK must be an integer number'],
      ['true', true, 'topK must be an integer number'],
      ['"NaN"', 'NaN', 'topK must be an integer number'],
      ['[5]', [5], 'topK must be an integer number'],
      ['2000', 2000, 'topK must not be greater than 1000'],
    ])('names topK %s by its own fault', async (_name, topK, detail) => {
      const res = await gw.http
        .post('/v1/search')
        .set(tenant)
        .send({ vector: [1, 2, 3], ...(topK === undefined ? {} : { topK }) });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ field: 'topK', detail });
    });

    it.each([
      ['/v1/audit', 'abc'],
      ['/v1/admin/tenants', 'abc'],
      ['/v1/admin/audit', 'abc'],
      // Number() would read these as 2, 16, 2, 2 and 0: a page size is decimal digits only.
      ['/v1/audit', '2e0'],
      ['/v1/admin/tenants', '0x10'],
      ['/v1/admin/audit', '0b10'],
      ['/v1/audit', '%202%20'],
      ['/v1/audit', ''],
    ])('names ?limit on %s, sent as "%s", as not an integer', async (path, limit) => {
      const res = await gw.http
        .get(`${path}?limit=${limit}`)
        .set(path === '/v1/audit' ? tenant : platform);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        field: 'limit',
        detail: 'limit must be an integer number',
      });
    });

    it('names roles sent as a string as not an array, and a missing ttlSeconds or name as required', async () => {
      const mint = (body: object): Promise<Response> =>
        gw.http.post('/v1/admin/tenants/acme/tokens').set(platform).send(body);
      expect((await mint({ subject: 's', roles: 'reader', ttlSeconds: 60 })).body).toMatchObject({
        status: 400,
        field: 'roles',
        detail: 'roles must be an array',
      });
      expect((await mint({ subject: 's', roles: ['reader'] })).body).toMatchObject({
        status: 400,
        field: 'ttlSeconds',
        detail: 'ttlSeconds is required',
      });
      const key = await gw.http
        .post('/v1/admin/tenants/acme/api-keys')
        .set(platform)
        .send({ roles: ['reader'] });
      expect(key.body).toMatchObject({ status: 400, field: 'name', detail: 'name is required' });
    });

    it.each([['status'], ['tier'], ['backend'], ['strategy']])(
      'refuses a tenant change setting %s to null, naming it, and changes nothing',
      async (field) => {
        const before = await gw.http.get('/v1/admin/tenants/globex').set(platform);
        const res = await gw.http
          .patch('/v1/admin/tenants/globex')
          .set(platform)
          .send({ [field]: null });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({
          field,
          detail: `${field} cannot be null: leave it out to keep its value`,
        });
        const after = await gw.http.get('/v1/admin/tenants/globex').set(platform);
        expect(after.body).toEqual(before.body);
      },
    );

    it.each([
      ['2026-W01', 'a week date'],
      ['2026-336', 'an ordinal date'],
      ['20260101', 'the basic format'],
      ['2026-02-30', 'a day that does not exist'],
      ['2026-01-01T24:00:00Z', 'hour 24'],
    ])(
      'refuses since=%s (%s) on both audit routes rather than answering nothing',
      async (since) => {
        for (const [path, who] of [
          ['/v1/audit', tenant],
          ['/v1/admin/audit', platform],
        ] as const) {
          const res = await gw.http.get(`${path}?since=${since}`).set(who);
          expect(res.status).toBe(400);
          expect(res.body).toMatchObject({ field: 'since' });
          expect((res.body as { detail: string }).detail).toMatch(/^since must be a date/);
        }
      },
    );

    it('reads a date as midnight UTC, and refuses since after until', async () => {
      const today = new Date().toISOString().slice(0, 10);
      const page = await gw.http.get(`/v1/audit?since=${today}&limit=1`).set(tenant);
      expect(page.status).toBe(200);
      expect((page.body as { items: unknown[] }).items).toHaveLength(1);
      const reversed = await gw.http
        .get('/v1/admin/audit?since=2026-12-02&until=2026-12-01T23:59:59Z')
        .set(platform);
      expect(reversed.status).toBe(400);
      expect(reversed.body).toMatchObject({
        field: 'since',
        detail: 'since must not be after until',
      });
    });
  });

  describe('prototype keys in a JSON body', () => {
    const PROTO = 'the JSON body holds a "__proto__" key, which is refused';
    const CONSTRUCTOR =
      'the JSON body holds a "constructor" object with a "prototype" key, which is refused';

    it.each([
      ['a __proto__ key', '{"vector":[1,2,3],"topK":1,"__proto__":{"admin":true}}', PROTO],
      [
        'an escaped __proto__ key deep in a filter',
        '{"vector":[1,2,3],"topK":1,"filter":{"$and":[{"\\u005f_proto__":{"x":1}}]}}',
        PROTO,
      ],
      [
        'a constructor.prototype',
        '{"vector":[1,2,3],"topK":1,"filter":{"constructor":{"prototype":{"x":1}}}}',
        CONSTRUCTOR,
      ],
    ])(
      'refuses %s on v1 as such, in problem+json naming the body, and audits it',
      async (_n, body, detail) => {
        const requestId = newRequestId();
        const res = await gw.http
          .post('/v1/search')
          .set({ ...json(tenant), 'x-request-id': requestId })
          .send(body);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body).toMatchObject({
          status: 400,
          title: 'Bad Request',
          field: 'body',
          detail,
        });
        const events = await auditOf(gw, requestId);
        expect(events.map((e) => [e.status, e.reason])).toEqual([[400, 'bad_request (body)']]);
      },
    );

    it('still answers a malformed body, even one naming __proto__, as not valid JSON', async () => {
      for (const body of ['{"vector":[1,2,3],', '{"__proto__":{}, "vector":[1,2,3],']) {
        const res = await gw.http.post('/v1/search').set(json(tenant)).send(body);
        expect(res.status).toBe(400);
        expect(res.body.detail).toMatch(/not valid JSON/);
        expect(res.body.field).toBeUndefined();
      }
    });

    it('accepts a constructor key that holds no prototype, and the word __proto__ as a value', async () => {
      const res = await gw.http
        .put('/v1/vectors')
        .set(json(tenant))
        .send(
          '{"vectors":[{"id":"c1","values":[1,1,1],"metadata":{"constructor":"x","note":"__proto__"}}]}',
        );
      expect(res.status).toBe(200);
      const back = await gw.http.get('/v1/vectors/c1').set(tenant);
      expect(back.body.metadata).toEqual({ constructor: 'x', note: '__proto__' });
    });

    it('refuses a __proto__ key on the Pinecone dialect in Pinecone’s error shape', async () => {
      const key = await keyFor(gw, 'acme', ['reader', 'writer']);
      const res = await gw.http
        .post('/pinecone/data/docs/vectors/upsert')
        .set({ 'api-key': key, 'content-type': 'application/json' })
        .send('{"vectors":[{"id":"p1","values":[1,2,3]}],"__proto__":{"x":1}}');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 3, message: `body: ${PROTO}`, details: [] });
    });

    it('refuses a constructor.prototype on the Qdrant listener in Qdrant’s error shape', async () => {
      const key = await q.apiKey('acme', ['reader', 'writer']);
      const res = await fetch(`${q.url}/collections/docs/points/query`, {
        method: 'POST',
        headers: { 'api-key': key, 'content-type': 'application/json' },
        body: '{"query":[1,2,3],"filter":{"constructor":{"prototype":{}}}}',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        status: { error: expect.stringContaining(CONSTRUCTOR) as string },
        time: expect.any(Number) as number,
      });
    });
  });

  describe('bodies that are not plain JSON', () => {
    it('refuses a compressed body with 415 naming the encoding, and writes nothing', async () => {
      const res = await gw.http
        .put('/v1/vectors')
        .set({ ...json(tenant), 'content-encoding': 'gzip' })
        .send(gzipSync(JSON.stringify({ vectors: [{ id: 'gz', values: [1, 2, 3] }] })));
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({
        field: 'content-encoding',
        detail: 'content-encoding gzip is not supported: send the body uncompressed',
      });
      expect((await gw.http.get('/v1/vectors/gz').set(tenant)).status).toBe(404);
    });

    it('says what to send when the body is not JSON', async () => {
      const res = await gw.http
        .post('/v1/search')
        .set({ ...tenant, 'content-type': 'text/plain' })
        .send('{"vector":[1,2,3],"topK":1}');
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({
        detail: 'the body must be JSON, sent as application/json',
      });
    });

    it('refuses a body on a route that takes none, creating nothing, and accepts {}', async () => {
      const res = await gw.http
        .put('/v1/namespaces/withbody')
        .set(json(tenant))
        .send({ vectors: [{ id: 'x', values: [1, 2, 3] }] });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ field: 'body', detail: 'this route takes no body' });
      const listed = await gw.http.get('/v1/namespaces').set(tenant);
      expect(JSON.stringify(listed.body)).not.toContain('withbody');
      const empty = await gw.http.put('/v1/namespaces/withbody').set(json(tenant)).send({});
      expect(empty.status).toBe(201);
      expect((await gw.http.delete('/v1/namespaces/withbody').set(tenant)).status).toBe(204);
    });

    it('names a body that is not UTF-8 as such', async () => {
      const body = Buffer.concat([
        Buffer.from('{"vectors":[{"id":"'),
        Buffer.from([0xe9]),
        Buffer.from('","values":[1,2,3]}]}'),
      ]);
      const res = await rawRequest(gw, 'PUT', '/v1/vectors', { ...json(tenant) }, body);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({
        detail: 'the body is not valid UTF-8, or not as long as its Content-Length',
      });
    });

    it('accepts content-encoding identity', async () => {
      const res = await gw.http
        .post('/v1/search')
        .set({ ...json(tenant), 'content-encoding': 'identity' })
        .send({ vector: [1, 2, 3], topK: 1 });
      expect(res.status).toBe(200);
    });
  });

  describe('unknown query parameters', () => {
    type Call = (http: TestGateway['http']) => ReturnType<TestGateway['http']['get']>;
    const ROUTES: ReadonlyArray<[string, 'tenant' | 'platform' | 'cross', Call]> = [
      [
        'PUT /v1/vectors',
        'tenant',
        (h) => h.put('/v1/vectors?x=1').send({ vectors: [{ id: 'q1', values: [1, 2, 3] }] }),
      ],
      ['GET /v1/vectors/{id}', 'tenant', (h) => h.get('/v1/vectors/d1?x=1')],
      [
        'POST /v1/vectors/delete',
        'tenant',
        (h) => h.post('/v1/vectors/delete?x=1').send({ ids: ['d1'], namespace: 'docs' }),
      ],
      [
        'POST /v1/search',
        'tenant',
        (h) => h.post('/v1/search?x=1').send({ vector: [1, 2, 3], topK: 1 }),
      ],
      ['GET /v1/stats', 'tenant', (h) => h.get('/v1/stats?x=1')],
      ['GET /v1/namespaces', 'tenant', (h) => h.get('/v1/namespaces?x=1')],
      ['PUT /v1/namespaces/{name}', 'tenant', (h) => h.put('/v1/namespaces/fresh?x=1')],
      ['DELETE /v1/namespaces/{name}', 'tenant', (h) => h.delete('/v1/namespaces/docs?x=1')],
      ['GET /v1/audit', 'tenant', (h) => h.get('/v1/audit?x=1')],
      [
        'POST /v1/admin/tenants',
        'platform',
        (h) =>
          h.post('/v1/admin/tenants?x=1').send({ id: 'initech', dimension: 3, metric: 'cosine' }),
      ],
      ['GET /v1/admin/tenants', 'platform', (h) => h.get('/v1/admin/tenants?x=1')],
      ['GET /v1/admin/tenants/{id}', 'platform', (h) => h.get('/v1/admin/tenants/acme?x=1')],
      [
        'PATCH /v1/admin/tenants/{id}',
        'platform',
        (h) => h.patch('/v1/admin/tenants/globex?x=1').send({ status: 'suspended' }),
      ],
      [
        'DELETE /v1/admin/tenants/{id}/migration',
        'platform',
        (h) => h.delete('/v1/admin/tenants/acme/migration?x=1'),
      ],
      [
        'DELETE /v1/admin/tenants/{id}',
        'platform',
        (h) => h.delete('/v1/admin/tenants/globex?x=1'),
      ],
      [
        'POST /v1/admin/tenants/{id}/tokens',
        'platform',
        (h) =>
          h
            .post('/v1/admin/tenants/acme/tokens?x=1')
            .send({ subject: 's', roles: ['reader'], ttlSeconds: 60 }),
      ],
      [
        'GET /v1/admin/tenants/{id}/tokens',
        'platform',
        (h) => h.get('/v1/admin/tenants/acme/tokens?x=1'),
      ],
      [
        'DELETE /v1/admin/tenants/{id}/tokens/{jti}',
        'platform',
        (h) => h.delete('/v1/admin/tenants/acme/tokens/nope?x=1'),
      ],
      [
        'POST /v1/admin/tenants/{id}/api-keys',
        'platform',
        (h) => h.post('/v1/admin/tenants/acme/api-keys?x=1').send({ name: 'k', roles: ['reader'] }),
      ],
      [
        'GET /v1/admin/tenants/{id}/api-keys',
        'platform',
        (h) => h.get('/v1/admin/tenants/acme/api-keys?x=1'),
      ],
      [
        'DELETE /v1/admin/tenants/{id}/api-keys/{keyId}',
        'platform',
        (h) => h.delete('/v1/admin/tenants/acme/api-keys/0123456789abcdef01234567?x=1'),
      ],
      [
        'POST /v1/admin/tenants/{id}/qdrant-token',
        'platform',
        (h) =>
          h.post('/v1/admin/tenants/acme/qdrant-token?x=1').send({ access: 'r', ttlSeconds: 60 }),
      ],
      [
        'POST /v1/admin/tenants/{id}/search',
        'cross',
        (h) => h.post('/v1/admin/tenants/acme/search?x=1').send({ vector: [1, 2, 3], topK: 1 }),
      ],
      ['GET /v1/admin/audit', 'platform', (h) => h.get('/v1/admin/audit?x=1')],
    ];

    it.each(ROUTES)(
      '%s refuses a parameter it does not take, naming it',
      async (_route, who, call) => {
        const headers =
          who === 'tenant'
            ? tenant
            : who === 'platform'
              ? platform
              : bearer(gw.tokens.platform(['cross_tenant_admin']));
        const res = await call(gw.http).set(headers);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body).toMatchObject({
          field: 'x',
          detail: 'this route takes no query parameter x',
        });
      },
    );

    it('did none of what the refused requests asked', async () => {
      expect((await gw.http.get('/v1/vectors/q1').set(tenant)).status).toBe(404);
      expect((await gw.http.get('/v1/vectors/d1?namespace=docs').set(tenant)).status).toBe(200);
      const names = (await gw.http.get('/v1/namespaces').set(tenant)).body as {
        items: { name: string }[];
      };
      expect(names.items.map((n) => n.name)).toEqual(['', 'docs']);
      expect((await gw.http.get('/v1/admin/tenants/initech').set(platform)).status).toBe(404);
      const globex = await gw.http.get('/v1/admin/tenants/globex').set(platform);
      expect([globex.status, globex.body.status]).toEqual([200, 'active']);
    });

    it('refuses a misspelt ?namespace= on a fetch rather than reading the default namespace', async () => {
      const typo = await gw.http.get('/v1/vectors/d1?namespce=docs').set(tenant);
      expect(typo.status).toBe(400);
      expect(typo.body).toMatchObject({
        field: 'namespce',
        detail: 'this route takes no query parameter namespce',
      });
      const right = await gw.http.get('/v1/vectors/d1?namespace=docs').set(tenant);
      expect([right.status, right.body.id]).toEqual([200, 'd1']);
    });

    it('keeps refusing a reserved name in the query as a bypass attempt, before the parameter check', async () => {
      const res = await gw.http.get('/v1/stats?tenant_id=globex').set(tenant);
      expect(res.status).toBe(400);
      expect(res.body.reason).toBe('tenant_bypass_attempt');
    });
  });
});
