import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { bearer } from '../support/tokens';
import {
  QdrantGateway,
  quietInsecureKeyWarning,
  refusal,
  startQdrantGateway,
} from './qdrant-support';

/**
 * The Qdrant listener attacked from outside: raw HTTP on both ports and the real client. Each
 * table row is one attempt with the status it must get; after every table the tenants' data is
 * checked unchanged, and every attempt must leave exactly one audit event.
 */

interface Answer {
  status: number;
  body: string;
  json(): { status?: unknown; result?: unknown };
}

/** One HTTP request with the target sent verbatim (absolute-form, `//`, `%xx` and all). */
function send(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string | string[]> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path: target,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            json: () => JSON.parse(text) as { status?: unknown; result?: unknown },
          }),
        );
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const SPACE = { dimension: 3, metric: 'cosine' };
const CREATE = JSON.stringify({ vectors: { size: 3, distance: 'Cosine' } });

type Who = 'acme' | 'acmeReader' | 'globex' | 'none';

interface Attempt {
  readonly name: string;
  readonly port?: 'qdrant' | 'main';
  readonly method: string;
  readonly target: string;
  readonly as?: Who;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: unknown;
  /** The body as sent, for bodies that are not JSON. */
  readonly text?: string;
  readonly status: number;
  /** A part of Qdrant's error text (the field it names, usually). */
  readonly error?: string;
}

// The client warns about an API key sent over plain HTTP: loopback in these tests.
beforeAll(() => quietInsecureKeyWarning());

describe('Qdrant API under attack', () => {
  let q: QdrantGateway;
  let qdrantPort: number;
  let mainPort: number;
  const keys: Record<Who, string> = { acme: '', acmeReader: '', globex: '', none: '' };

  async function call(attempt: Omit<Attempt, 'status' | 'name'>, requestId = randomUUID()) {
    const port = attempt.port === 'main' ? mainPort : qdrantPort;
    const who = attempt.as ?? 'acme';
    const headers = {
      'x-request-id': requestId,
      ...(who === 'none' ? {} : { 'api-key': keys[who] }),
      ...attempt.headers,
    };
    const text =
      attempt.text ?? (attempt.body === undefined ? undefined : JSON.stringify(attempt.body));
    return send(port, attempt.method, attempt.target, headers, text);
  }

  const countOf = async (who: Who, collection: string): Promise<number> => {
    const res = await call({
      method: 'POST',
      target: `/collections/${collection}/points/count`,
      as: who,
      body: {},
    });
    expect(res.status).toBe(200);
    return (res.json().result as { count: number }).count;
  };

  /**
   * acme: docs holds ids 1..3, its default collection 4 and 5; globex: docs holds ids 1..4
   * and 99, secret holds 5.
   */
  async function seed(): Promise<void> {
    for (const [who, collection, ids] of [
      ['acme', 'docs', [1, 2, 3]],
      ['acme', '__default__', [4, 5]],
      ['globex', 'docs', [1, 2, 3, 4, 99]],
      ['globex', 'secret', [5]],
    ] as const) {
      await call({ method: 'PUT', target: `/collections/${collection}`, as: who, text: CREATE });
      const points = ids.map((id) => ({
        id,
        vector: [1, id / 10, 0],
        payload: { owner: who, n: id, metadata: { source: who } },
      }));
      const res = await call({
        method: 'PUT',
        target: `/collections/${collection}/points`,
        as: who,
        body: { points },
      });
      expect(res.status).toBe(200);
    }
  }

  async function expectUntouched(): Promise<void> {
    expect(await countOf('acme', 'docs')).toBe(3);
    expect(await countOf('acme', '__default__')).toBe(2);
    expect(await countOf('globex', 'docs')).toBe(5);
    expect(await countOf('globex', 'secret')).toBe(1);
  }

  beforeAll(async () => {
    q = await startQdrantGateway({
      acme: SPACE,
      globex: SPACE,
      initech: SPACE,
      wide: { dimension: 4096, metric: 'cosine' },
    });
    qdrantPort = Number(new URL(q.url).port);
    mainPort = q.gw.port;
    keys.acme = await q.apiKey('acme', ['reader', 'writer']);
    keys.acmeReader = await q.apiKey('acme', ['reader']);
    keys.globex = await q.apiKey('globex', ['reader', 'writer']);
    await seed();
  });
  afterAll(() => q.close());

  async function run(attempt: Attempt): Promise<void> {
    const requestId = randomUUID();
    const res = await call(attempt, requestId);
    expect({ name: attempt.name, status: res.status }).toEqual({
      name: attempt.name,
      status: attempt.status,
    });
    if (attempt.error !== undefined)
      expect((res.json().status as { error: string }).error).toContain(attempt.error);
    // Nothing of another tenant in any answer.
    expect(res.body).not.toContain('globex');
    const events = await q.audit(requestId);
    expect(events.map((e) => e.status)).toEqual([attempt.status]);
  }

  const LISTENER: Attempt[] = [
    { name: 'v1 through the Qdrant port', method: 'GET', target: '/v1/stats', status: 404 },
    { name: 'health through the Qdrant port', method: 'GET', target: '/health/live', status: 404 },
    { name: 'metrics through the Qdrant port', method: 'GET', target: '/metrics', status: 404 },
    { name: 'docs through the Qdrant port', method: 'GET', target: '/docs-json', status: 404 },
    {
      name: 'Pinecone through the Qdrant port',
      method: 'GET',
      target: '/pinecone/indexes',
      status: 404,
    },
    { name: 'the prefix twice', method: 'GET', target: '/qdrant/collections', status: 404 },
    { name: 'dot segments', method: 'GET', target: '/../v1/stats', status: 404 },
    { name: 'encoded dot segments', method: 'GET', target: '/%2e%2e/v1/stats', status: 404 },
    { name: 'double slash', method: 'GET', target: '//v1/stats', status: 404 },
    { name: 'absolute-form', method: 'GET', target: 'http://127.0.0.1:1/v1/stats', status: 404 },
    { name: 'asterisk-form', method: 'GET', target: '*', status: 404 },
    ...[
      '/qdrant/collections',
      '//qdrant/collections',
      '/%71drant/collections',
      '/QDRANT/collections',
      '/./qdrant/collections',
      '/x/../qdrant/collections',
      '/qdrant/collections?x=1',
      '/qdrant/collections#x',
      'http://127.0.0.1:6333/qdrant/collections',
    ].map((target) => ({
      name: `main port: ${target}`,
      port: 'main' as const,
      method: 'GET',
      target,
      status: 404,
    })),
    {
      name: 'main port with headers naming the Qdrant listener',
      port: 'main',
      method: 'GET',
      target: '/qdrant/collections',
      headers: { host: '127.0.0.1:6333', 'x-forwarded-port': '6333', vglistener: 'qdrant' },
      status: 404,
    },
  ];

  it.each(LISTENER.map((a) => [a.name, a]))(
    'keeps the listeners apart: %s',
    async (_name, attempt) => run(attempt),
  );

  const TENANCY: Attempt[] = [
    {
      name: 'X-Tenant-Id',
      method: 'GET',
      target: '/collections',
      headers: { 'x-tenant-id': 'globex' },
      status: 400,
      error: 'x-tenant-id',
    },
    {
      name: 'tenant_id in the query',
      method: 'GET',
      target: '/collections/docs/points/1?tenant_id=globex',
      status: 400,
      error: 'tenant_id',
    },
    {
      name: 'two api-key headers',
      method: 'GET',
      target: '/collections',
      as: 'none',
      headers: { 'api-key': ['KEY:acme', 'KEY:globex'] },
      status: 401,
    },
    {
      name: 'api-key and a bearer of another tenant',
      method: 'GET',
      target: '/collections',
      headers: { authorization: 'JWT:globex' },
      status: 401,
      error: 'two different credentials',
    },
    {
      name: 'an unknown key',
      method: 'GET',
      target: '/collections',
      as: 'none',
      headers: { 'api-key': 'vgk_nope' },
      status: 401,
    },
    { name: 'no key', method: 'GET', target: '/collections', as: 'none', status: 401 },
    {
      name: 'an expired token',
      method: 'GET',
      target: '/collections',
      as: 'none',
      headers: { authorization: 'JWT:expired' },
      status: 401,
    },
    {
      name: 'a platform token',
      method: 'GET',
      target: '/collections',
      as: 'none',
      headers: { authorization: 'JWT:platform' },
      status: 403,
    },
    {
      name: 'a reader upserting',
      method: 'PUT',
      target: '/collections/docs/points',
      as: 'acmeReader',
      body: { points: [{ id: 50, vector: [1, 1, 1] }] },
      status: 403,
    },
    {
      name: 'a reader creating a collection',
      method: 'PUT',
      target: '/collections/new',
      as: 'acmeReader',
      text: CREATE,
      status: 403,
    },
    {
      name: 'a reader deleting a collection',
      method: 'DELETE',
      target: '/collections/docs',
      as: 'acmeReader',
      status: 403,
    },
    {
      name: 'a reader deleting points',
      method: 'POST',
      target: '/collections/docs/points/delete',
      as: 'acmeReader',
      body: { filter: {} },
      status: 403,
    },
    {
      name: "another tenant's collection",
      method: 'GET',
      target: '/collections/secret',
      status: 404,
    },
    {
      name: "points of another tenant's collection",
      method: 'POST',
      target: '/collections/secret/points/scroll',
      body: {},
      status: 404,
    },
    {
      name: "writing into another tenant's collection",
      method: 'PUT',
      target: '/collections/secret/points',
      body: { points: [{ id: 5, vector: [1, 1, 1] }] },
      status: 404,
    },
    {
      name: "deleting another tenant's collection",
      method: 'DELETE',
      target: '/collections/secret',
      status: 200,
    },
    {
      name: "deleting another tenant's ids",
      method: 'POST',
      target: '/collections/docs/points/delete',
      body: { points: [4, 99] },
      status: 200,
    },
    {
      name: "deleting another tenant's ids by has_id",
      method: 'POST',
      target: '/collections/docs/points/delete',
      body: { filter: { must: [{ has_id: [4, 99] }] } },
      status: 200,
    },
    { name: 'a case variant', method: 'GET', target: '/collections/DOCS', status: 404 },
    {
      name: "the other tenant's uid",
      method: 'GET',
      target: '/collections/UID:globex',
      status: 404,
    },
    {
      name: 'a reserved name',
      method: 'GET',
      target: '/collections/_vg',
      status: 400,
      error: '(name)',
    },
    {
      name: 'a reserved name, encoded',
      method: 'GET',
      target: '/collections/%5Fvg_tenant',
      status: 400,
      error: '(name)',
    },
    {
      name: 'a dot-dot name',
      method: 'GET',
      target: '/collections/..',
      status: 400,
      error: '(name)',
    },
    {
      name: 'an encoded slash',
      method: 'GET',
      target: '/collections/docs%2f..%2fsecret',
      status: 400,
      error: '(name)',
    },
    {
      name: 'a unicode name',
      method: 'GET',
      target: '/collections/d%C3%B6cs',
      status: 400,
      error: '(name)',
    },
    {
      name: 'a NUL in the name',
      method: 'GET',
      target: '/collections/docs%00',
      status: 400,
      error: '(name)',
    },
    {
      name: 'a 65-character name',
      method: 'GET',
      target: `/collections/${'a'.repeat(65)}`,
      status: 400,
      error: '(name)',
    },
    {
      name: 'a very long path',
      method: 'GET',
      target: `/collections/${'a'.repeat(9000)}`,
      status: 414,
    },
    {
      name: 'a payload with _vg_tenant',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { points: [{ id: 50, vector: [1, 1, 1], payload: { _vg_tenant: 'x' } }] },
      status: 400,
      error: '_vg_tenant',
    },
    {
      name: 'a payload with a nested tenant_id',
      method: 'PUT',
      target: '/collections/docs/points',
      body: {
        batch: { ids: [50], vectors: [[1, 1, 1]], payloads: [{ a: { tenant_id: 'globex' } }] },
      },
      status: 400,
      error: 'tenant_id',
    },
    ...[
      { must: [{ key: '_vg_tenant', match: { value: 'x' } }] },
      {
        should: [
          { key: 'tenant_id', match: { any: ['globex'] } },
          { key: 'n', match: { value: 1 } },
        ],
      },
      { must_not: [{ key: 'metadata._vg_tenant', match: { value: 'x' } }] },
      { must: [{ is_empty: { key: '_vg_ns' } }] },
      { must: [{ must_not: [{ should: [{ key: 'a.tenant', match: { except: ['x'] } }] }] }] },
      { must: [{ key: 'metadata.tenantId', range: { gt: 0 } }] },
    ].map((filter, i) => ({
      name: `a filter on a reserved key #${i + 1}`,
      method: 'POST',
      target: '/collections/docs/points/scroll',
      body: { filter },
      status: 400,
      error: 'reserved',
    })),
  ];

  it.each(TENANCY.map((a) => [a.name, a]))('keeps tenants apart: %s', async (_name, attempt) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(attempt.headers ?? {}))
      headers[name] = Array.isArray(value) ? value.map(credential) : credential(value);
    const target = attempt.target.replace('UID:globex', await uidOf('globex'));
    await run({ ...attempt, target, headers });
    await expectUntouched();
  });

  function credential(value: string): string {
    if (value.startsWith('KEY:')) return keys[value.slice(4) as Who];
    if (value === 'JWT:globex') return `Bearer ${q.gw.tokens.tenant('globex', ['reader'])}`;
    if (value === 'JWT:platform') return `Bearer ${q.gw.tokens.platform()}`;
    if (value === 'JWT:expired')
      return `Bearer ${q.gw.tokens.tenant('acme', ['reader'], { iat: 1_000, exp: 2_000 })}`;
    return value;
  }

  async function uidOf(tenant: string): Promise<string> {
    const res = await q.gw.http
      .get(`/v1/admin/tenants/${tenant}`)
      .set(bearer(q.gw.tokens.platform()));
    return (res.body as { uid: string }).uid;
  }

  const Q = '/collections/docs/points/query';
  const BAD_INPUT: Attempt[] = [
    { name: 'malformed JSON', method: 'POST', target: Q, text: '{bad', status: 400 },
    {
      name: 'NaN in a vector',
      method: 'POST',
      target: Q,
      text: '{"query":[NaN,1,1]}',
      status: 400,
    },
    {
      name: 'prototype poisoning',
      method: 'PUT',
      target: '/collections/docs/points',
      text: '{"points":[{"id":60,"vector":[1,1,1],"payload":{"__proto__":{"x":1}}}]}',
      status: 400,
    },
    { name: 'an array body', method: 'POST', target: Q, text: '[]', status: 400, error: '(body)' },
    { name: 'a null body', method: 'POST', target: Q, text: 'null', status: 400, error: '(body)' },
    {
      name: 'a text body',
      method: 'POST',
      target: Q,
      text: '{}',
      headers: { 'content-type': 'text/plain' },
      status: 415,
    },
    {
      name: 'a body over the limit',
      method: 'PUT',
      target: '/collections/docs/points',
      text: `{"points":[],"x":"${'a'.repeat(17 * 1024 * 1024)}"}`,
      status: 413,
    },
    { name: 'no query', method: 'POST', target: Q, body: {}, status: 400, error: '(query)' },
    {
      name: 'a query of strings',
      method: 'POST',
      target: Q,
      body: { query: ['1', '1', '1'] },
      status: 400,
      error: 'vector[0]',
    },
    {
      name: 'a huge vector value',
      method: 'POST',
      target: Q,
      body: { query: [1e300, 1, 1] },
      status: 422,
      error: 'vector[0]',
    },
    {
      name: 'a wrong dimension',
      method: 'POST',
      target: Q,
      body: { query: [1, 1] },
      status: 422,
      error: '(vector)',
    },
    {
      name: 'an empty vector',
      method: 'POST',
      target: Q,
      body: { query: [] },
      status: 422,
      error: '(vector)',
    },
    {
      name: 'a zero vector under cosine',
      method: 'POST',
      target: Q,
      body: { query: { nearest: [0, 0, 0], mmr: {} } },
      status: 422,
    },
    {
      name: 'a named vector',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], using: 'image' },
      status: 400,
      error: '(using)',
    },
    {
      name: 'prefetch',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], prefetch: [] },
      status: 400,
      error: '(prefetch)',
    },
    {
      name: 'limit 0',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], limit: 0 },
      status: 400,
      error: '(limit)',
    },
    {
      name: 'a huge limit',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], limit: 1e20 },
      status: 400,
      error: '(limit)',
    },
    {
      name: 'a fractional limit',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], limit: 1.5 },
      status: 400,
      error: '(limit)',
    },
    {
      name: 'a string limit',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], limit: '5' },
      status: 400,
      error: '(limit)',
    },
    {
      name: 'a huge offset',
      method: 'POST',
      target: Q,
      text: '{"query":[1,1,1],"offset":9007199254740993}',
      status: 400,
      error: '(limit)',
    },
    {
      name: 'a negative offset',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], offset: -1 },
      status: 400,
      error: '(offset)',
    },
    {
      name: 'with_vector as a list',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], with_vector: ['x'] },
      status: 400,
      error: '(with_vector)',
    },
    {
      name: 'with_vector as a string',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], with_vector: 'true' },
      status: 400,
      error: '(with_vector)',
    },
    {
      name: 'with_payload as a number',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], with_payload: 5 },
      status: 400,
      error: '(with_payload)',
    },
    {
      name: 'a string score_threshold',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], score_threshold: '0.5' },
      status: 400,
      error: '(score_threshold)',
    },
    {
      name: 'MMR with a huge candidates_limit',
      method: 'POST',
      target: Q,
      body: { query: { nearest: [1, 1, 1], mmr: { candidates_limit: 1e9 } } },
      status: 400,
      error: 'candidates_limit',
    },
    {
      name: 'MMR with diversity 2',
      method: 'POST',
      target: Q,
      body: { query: { nearest: [1, 1, 1], mmr: { diversity: 2 } } },
      status: 400,
      error: 'diversity',
    },
    {
      name: 'MMR as a list',
      method: 'POST',
      target: Q,
      body: { query: { nearest: [1, 1, 1], mmr: [] } },
      status: 400,
      error: 'query.mmr',
    },
    {
      name: 'has_id in a query',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], filter: { must: [{ has_id: [1] }] } },
      status: 400,
      error: 'has_id',
    },
    {
      name: 'an operator as a filter value',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], filter: { must: [{ key: 'n', match: { value: { $ne: 1 } } }] } },
      status: 400,
    },
    {
      name: 'an operator as a key',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], filter: { must: [{ key: '$or', match: { value: 1 } }] } },
      status: 400,
    },
    {
      name: 'a string range',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], filter: { must: [{ key: 'n', range: { gt: 'x' } }] } },
      status: 400,
    },
    {
      name: 'a deep filter',
      method: 'POST',
      target: Q,
      body: { query: [1, 1, 1], filter: deepFilter(40) },
      status: 400,
    },
    {
      name: 'a wide filter',
      method: 'POST',
      target: Q,
      body: {
        query: [1, 1, 1],
        filter: {
          should: Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, match: { value: i } })),
        },
      },
      status: 400,
    },
    ...[
      { must: [{ key: 'n', match: { except: [] } }] },
      { must: [{ key: 'n', range: {} }] },
      { must: [{ key: 'n', match: { value: null } }] },
      { must: [{}] },
      { must: [{ key: 'n', values_count: { gt: 1 } }] },
      { must: [{ nested: { key: 'a', filter: {} } }] },
      { must: [{ key: 'n', match: { text: 'x' } }] },
      { min_should: { conditions: [], min_count: 1 } },
    ].map((filter, i) => ({
      name: `a filter it cannot translate #${i + 1}`,
      method: 'POST',
      target: '/collections/docs/points/delete',
      body: { filter },
      status: 400,
    })),
    {
      name: 'a filter that is a string',
      method: 'POST',
      target: '/collections/docs/points/count',
      body: { filter: 'x' },
      status: 400,
      error: '(filter)',
    },
    {
      name: 'a vector object in search',
      method: 'POST',
      target: '/collections/docs/points/search',
      body: { vector: { name: 'x', vector: [1, 1, 1] } },
      status: 400,
      error: '(vector)',
    },
    {
      name: 'a negative id',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { points: [{ id: -1, vector: [1, 1, 1] }] },
      status: 400,
      error: 'points[0].id',
    },
    {
      name: 'a float id',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { points: [{ id: 1.5, vector: [1, 1, 1] }] },
      status: 400,
      error: 'points[0].id',
    },
    {
      name: 'an id beyond 2^64',
      method: 'PUT',
      target: '/collections/docs/points',
      text: '{"points":[{"id":18446744073709551617,"vector":[1,1,1]}]}',
      status: 400,
      error: 'points[0].id',
    },
    {
      name: 'an id beyond 2^53',
      method: 'PUT',
      target: '/collections/docs/points',
      text: '{"points":[{"id":9007199254740993,"vector":[1,1,1]}]}',
      status: 400,
      error: 'points[0].id',
    },
    {
      name: 'a string that looks like an int',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { points: [{ id: '42', vector: [1, 1, 1] }] },
      status: 400,
      error: 'points[0].id',
    },
    {
      name: 'a boolean id',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { points: [{ id: true, vector: [1, 1, 1] }] },
      status: 400,
      error: 'points[0].id',
    },
    {
      name: 'a null point',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { points: [null] },
      status: 400,
      error: 'points[0].id',
    },
    {
      name: 'no points',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { points: [] },
      status: 400,
    },
    {
      name: 'a bad point after a good one',
      method: 'PUT',
      target: '/collections/docs/points',
      body: {
        points: [
          { id: 61, vector: [1, 1, 1] },
          { id: 62, vector: [1, 1] },
        ],
      },
      status: 422,
    },
    {
      name: 'an infinite value',
      method: 'PUT',
      target: '/collections/docs/points',
      text: '{"points":[{"id":63,"vector":[1e400,1,1]}]}',
      status: 400,
    },
    {
      // An id given twice keeps its last point, as in Qdrant, but every point is checked.
      name: 'the same id twice, the replaced point malformed',
      method: 'PUT',
      target: '/collections/docs/points',
      body: {
        points: [
          { id: 64, vector: [1, 1] },
          { id: 64, vector: [1, 0, 1] },
        ],
      },
      status: 422,
    },
    {
      name: 'a batch with fewer vectors',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { batch: { ids: [65, 66], vectors: [[1, 1, 1]] } },
      status: 400,
      error: 'batch.vectors',
    },
    {
      name: 'a batch with more payloads',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { batch: { ids: [65], vectors: [[1, 1, 1]], payloads: [{}, {}] } },
      status: 400,
      error: 'batch.payloads',
    },
    {
      name: 'a batch with ids as an object',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { batch: { ids: { length: 1 }, vectors: [[1, 1, 1]] } },
      status: 400,
    },
    {
      name: 'a point id of another form in a path',
      method: 'GET',
      target: '/collections/docs/points/doc-7',
      status: 400,
      error: '(id)',
    },
    {
      name: 'a negative id in a path',
      method: 'GET',
      target: '/collections/docs/points/-1',
      status: 400,
      error: '(id)',
    },
    {
      name: 'a huge id in a path',
      method: 'GET',
      target: '/collections/docs/points/99999999999999999999',
      status: 400,
      error: '(id)',
    },
    {
      name: 'an integer id with a leading zero in a path',
      method: 'GET',
      target: '/collections/docs/points/01',
      status: 400,
      error: 'unsigned integer or a UUID (id)',
    },
    ...(['?wait=junk', '?wait=True', '?wait=', '?wait=true&wait=false'] as const).flatMap(
      (query) => [
        {
          name: `an upsert with ${query}`,
          method: 'PUT',
          target: `/collections/docs/points${query}`,
          body: { points: [{ id: 70, vector: [1, 1, 1] }] },
          status: 400,
          error: '(wait)',
        },
        {
          name: `a delete with ${query}`,
          method: 'POST',
          target: `/collections/docs/points/delete${query}`,
          body: { points: [1] },
          status: 400,
          error: '(wait)',
        },
      ],
    ),
    ...(['?ordering=junk', '?ordering=STRONG', '?wait=true&ordering='] as const).flatMap(
      (query) => [
        {
          name: `an upsert with ${query}`,
          method: 'PUT',
          target: `/collections/docs/points${query}`,
          body: { points: [{ id: 70, vector: [1, 1, 1] }] },
          status: 400,
          error: '(ordering)',
        },
        {
          name: `a delete with ${query}`,
          method: 'POST',
          target: `/collections/docs/points/delete${query}`,
          body: { points: [1] },
          status: 400,
          error: '(ordering)',
        },
        {
          name: `a payload index with ${query}`,
          method: 'PUT',
          target: `/collections/docs/index${query}`,
          body: { field_name: 'n', field_schema: 'integer' },
          status: 400,
          error: '(ordering)',
        },
      ],
    ),
    ...(
      [
        ['query', Q, '"query":[1,1,1],"score_threshold":1e999'],
        ['query', Q, '"query":[1,1,1],"score_threshold":-1e999'],
        ['search', '/collections/docs/points/search', '"vector":[1,1,1],"score_threshold":1e999'],
        [
          'MMR query',
          Q,
          '"query":{"nearest":[1,1,1],"mmr":{"diversity":0.5}},"score_threshold":-1e999',
        ],
      ] as const
    ).map(([call, target, fields]) => ({
      name: `an infinite score_threshold in a ${call}: ${fields.slice(-6)}`,
      method: 'POST',
      target,
      text: `{${fields}}`,
      status: 400,
      error: 'must be a finite number (score_threshold)',
    })),
    // Other numbers of the dialect's bodies: JSON's 1e999 is Infinity, refused wherever it lands.
    ...(
      [
        [Q, '{"query":[1,1,1],"limit":1e999}', '(limit)'],
        [Q, '{"query":[1,1,1],"offset":1e999}', '(offset)'],
        [Q, '{"query":{"nearest":[1,1,1],"mmr":{"diversity":1e999}}}', 'diversity'],
        [Q, '{"query":{"nearest":[1,1,1],"mmr":{"candidates_limit":1e999}}}', 'candidates_limit'],
        [Q, '{"query":[1,1,1],"params":{"hnsw_ef":1e999}}', 'hnsw_ef'],
        [Q, '{"query":[1,1,1],"filter":{"must":[{"key":"n","range":{"gte":1e999}}]}}', 'finite'],
        [Q, '{"query":[1,1,1],"filter":{"must":[{"key":"n","match":{"value":-1e999}}]}}', 'finite'],
        ['/collections/docs/points/scroll', '{"limit":1e999}', '(limit)'],
        ['/collections/docs/points', '{"ids":[1e999]}', 'ids[0]'],
        ['/collections/docs/points/delete', '{"filter":{"must":[{"has_id":[1e999]}]}}', 'has_id'],
      ] as const
    ).map(([target, text, error]) => ({
      name: `an infinite number: ${text}`,
      method: 'POST',
      target,
      text,
      status: 400,
      error,
    })),
    {
      name: 'an infinite payload value',
      method: 'PUT',
      target: '/collections/docs/points',
      text: '{"points":[{"id":71,"vector":[1,1,1],"payload":{"n":1e999}}]}',
      status: 400,
      error: 'finite',
    },
    {
      name: 'an infinite collection size',
      method: 'PUT',
      target: '/collections/other',
      text: '{"vectors":{"size":1e999,"distance":"Cosine"}}',
      status: 400,
      error: '(vectors)',
    },
    {
      name: 'retrieve without ids',
      method: 'POST',
      target: '/collections/docs/points',
      body: {},
      status: 400,
      error: '(ids)',
    },
    {
      name: 'a scroll offset of garbage',
      method: 'POST',
      target: '/collections/docs/points/scroll',
      body: { offset: 'garbage' },
      status: 400,
      error: '(offset)',
    },
    {
      name: 'a points upsert with a vector of another dimension',
      method: 'PUT',
      target: '/collections/docs/points',
      body: {
        points: [
          { id: 70, vector: [1, 1, 1] },
          { id: 71, vector: [1, 1] },
        ],
      },
      status: 422,
      error: '(points[1].vector)',
    },
    {
      name: 'a points upsert with a payload that is not an object',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { points: [{ id: 70, vector: [1, 1, 1], payload: [1] }] },
      status: 400,
      error: '(points[0].payload)',
    },
    {
      name: 'a batch upsert with a vector of another dimension',
      method: 'PUT',
      target: '/collections/docs/points',
      body: {
        batch: {
          ids: [70, 71],
          vectors: [
            [1, 1, 1],
            [1, 1],
          ],
        },
      },
      status: 422,
      error: '(batch.vectors[1])',
    },
    {
      name: 'a batch upsert with a payload that is not an object',
      method: 'PUT',
      target: '/collections/docs/points',
      body: { batch: { ids: [70], vectors: [[1, 1, 1]], payloads: ['x'] } },
      status: 400,
      error: '(batch.payloads[0])',
    },
    {
      name: 'a point id as a scroll offset',
      method: 'POST',
      target: '/collections/docs/points/scroll',
      body: { offset: 1 },
      status: 400,
      error: '(offset)',
    },
    {
      name: 'a huge scroll offset',
      method: 'POST',
      target: '/collections/docs/points/scroll',
      body: { offset: 'x'.repeat(100_000) },
      status: 400,
      error: '(offset)',
    },
    {
      name: 'scroll limit 0',
      method: 'POST',
      target: '/collections/docs/points/scroll',
      body: { limit: 0 },
      status: 400,
      error: '(limit)',
    },
    {
      name: 'a huge scroll limit',
      method: 'POST',
      target: '/collections/docs/points/scroll',
      body: { limit: 100_000 },
      status: 400,
      error: '(limit)',
    },
    {
      name: 'order_by',
      method: 'POST',
      target: '/collections/docs/points/scroll',
      body: { order_by: 'n' },
      status: 400,
      error: '(order_by)',
    },
    {
      name: 'a delete with neither',
      method: 'POST',
      target: '/collections/docs/points/delete',
      body: {},
      status: 400,
    },
    {
      name: 'a delete with points as an object',
      method: 'POST',
      target: '/collections/docs/points/delete',
      body: { points: { filter: {} } },
      status: 400,
      error: '(points)',
    },
    {
      name: 'a delete with a bad id after good ones',
      method: 'POST',
      target: '/collections/docs/points/delete',
      body: { points: [1, 2, 'bad'] },
      status: 400,
      error: 'points[2]',
    },
    {
      name: 'a delete of too many ids',
      method: 'POST',
      target: '/collections/docs/points/delete',
      body: { points: Array.from({ length: 1001 }, (_, i) => i) },
      status: 400,
      error: '(points)',
    },
    {
      name: 'a retrieve of too many ids',
      method: 'POST',
      target: '/collections/docs/points',
      body: { ids: Array.from({ length: 1001 }, (_, i) => i) },
      status: 400,
      error: '(ids)',
    },
    {
      name: 'a delete with points and filter',
      method: 'POST',
      target: '/collections/docs/points/delete',
      body: { points: [1], filter: {} },
      status: 400,
    },
    {
      name: 'has_id beside a filter in a delete',
      method: 'POST',
      target: '/collections/docs/points/delete',
      body: { filter: { must: [{ has_id: [1] }, { key: 'n', match: { value: 1 } }] } },
      status: 400,
    },
    {
      name: 'a collection of another size',
      method: 'PUT',
      target: '/collections/other',
      body: { vectors: { size: 4, distance: 'Cosine' } },
      status: 400,
      error: '(vectors)',
    },
    {
      name: 'a collection with a string size',
      method: 'PUT',
      target: '/collections/other',
      body: { vectors: { size: '3', distance: 'Cosine' } },
      status: 400,
      error: '(vectors)',
    },
    {
      name: 'a collection without a body',
      method: 'PUT',
      target: '/collections/other',
      status: 400,
      error: '(vectors)',
    },
  ];

  // Fields vecgate has no use for are still typed: a wrong type is a 400, as in Qdrant.
  const WRONG_TYPES: Attempt[] = (
    [
      ['/collections/docs/points/count', { exact: 'yes' }, 'exact'],
      ['/collections/docs/points/query', { query: [1, 1, 1], params: 5 }, 'params'],
      ['/collections/docs/points/search', { vector: [1, 1, 1], params: [] }, 'params'],
      [
        '/collections/docs/points/query',
        { query: [1, 1, 1], params: { hnsw_ef: 'x' } },
        'params.hnsw_ef',
      ],
      [
        '/collections/docs/points/query',
        { query: [1, 1, 1], params: { exact: 1 } },
        'params.exact',
      ],
    ] as const
  ).map(([target, body, field]) => ({
    name: `${field} of a wrong type`,
    method: 'POST',
    target,
    body,
    status: 400,
    error: `(${field})`,
  }));

  it.each([...BAD_INPUT, ...WRONG_TYPES].map((a) => [a.name, a]))(
    'answers bad input with a 4xx in Qdrant shape, writing nothing: %s',
    async (_name, attempt) => {
      await run(attempt);
      await expectUntouched();
    },
  );

  const ids = (answer: Answer): unknown[] => {
    const result = answer.json().result as { points?: { id: unknown }[] } | { id: unknown }[];
    return (Array.isArray(result) ? result : (result.points ?? [])).map((p) => p.id);
  };

  it("never answers another tenant's points for the same ids", async () => {
    const retrieve = await call({
      method: 'POST',
      target: '/collections/docs/points',
      body: { ids: [1, 4, 99], with_payload: true },
    });
    expect(retrieve.status).toBe(200);
    expect(ids(retrieve)).toEqual([1]);
    expect(retrieve.body).not.toContain('globex');
    const one = await call({ method: 'GET', target: '/collections/docs/points/99' });
    expect(one.status).toBe(404);
    const counted = await call({
      method: 'POST',
      target: '/collections/docs/points/count',
      body: { filter: { must: [{ has_id: [1, 2, 3, 4, 5, 99] }] } },
    });
    expect(counted.json().result).toEqual({ count: 3 });
    const scrolled = await call({
      method: 'POST',
      target: '/collections/docs/points/scroll',
      body: { filter: { must: [{ has_id: [4, 5, 99] }] } },
    });
    expect(ids(scrolled)).toEqual([]);
    const searched = await call({
      method: 'POST',
      target: Q,
      body: { query: [1, 0.4, 0], limit: 100, with_payload: true },
    });
    expect([...ids(searched)].sort()).toEqual([1, 2, 3]);
    expect(searched.body).not.toContain('globex');
    const exact = await call({
      method: 'POST',
      target: Q,
      body: { query: [1, 0.4, 0], limit: 100, params: { exact: true, hnsw_ef: 128 } },
    });
    expect([...ids(exact)].sort()).toEqual([1, 2, 3]);
    const info = await call({ method: 'GET', target: '/collections/docs' });
    expect(info.json().result).toMatchObject({ points_count: 3 });
    const listed = await call({ method: 'GET', target: '/collections' });
    expect(listed.json().result).toEqual({ collections: [{ name: 'docs' }] });
  });

  it('refuses a scroll cursor of another tenant or collection', async () => {
    const first = await call({
      method: 'POST',
      target: '/collections/docs/points/scroll',
      as: 'globex',
      body: { limit: 1 },
    });
    const cursor = (first.json().result as { next_page_offset: string }).next_page_offset;
    expect(typeof cursor).toBe('string');
    await run({
      name: "another tenant's cursor",
      method: 'POST',
      target: '/collections/docs/points/scroll',
      body: { offset: cursor },
      status: 400,
      error: 'another namespace or tenant) (offset)',
    });
    const own = await call({
      method: 'POST',
      target: '/collections/secret/points/scroll',
      as: 'globex',
      body: { offset: cursor },
    });
    expect(own.status).toBe(400);
  });

  it('deletes by filter only in the collection named', async () => {
    await call({ method: 'PUT', target: '/collections/other', text: CREATE });
    const put = await call({
      method: 'PUT',
      target: '/collections/other/points',
      body: { points: [{ id: 1, vector: [1, 0, 0], payload: { owner: 'acme' } }] },
    });
    expect(put.status).toBe(200);
    const deleted = await call({
      method: 'POST',
      target: '/collections/other/points/delete',
      body: { filter: { must: [{ key: 'owner', match: { value: 'acme' } }] } },
    });
    expect(deleted.status).toBe(200);
    expect(await countOf('acme', 'other')).toBe(0);
    await expectUntouched();
    expect((await call({ method: 'DELETE', target: '/collections/other' })).json().result).toBe(
      true,
    );
  });

  it('audits each call once as qdrant.<call>, bypass attempts with their reason', async () => {
    const ok = randomUUID();
    await call({ method: 'POST', target: Q, body: { query: [1, 0, 0] } }, ok);
    expect((await q.audit(ok)).map((e) => [e.action, e.outcome, e.status])).toEqual([
      ['qdrant.query_points', 'allowed', 200],
    ]);
    const bypass = randomUUID();
    await call(
      {
        method: 'POST',
        target: '/collections/docs/points/count',
        body: { filter: { must: [{ key: '_vg_tenant', match: { value: 'x' } }] } },
      },
      bypass,
    );
    expect((await q.audit(bypass)).map((e) => [e.action, e.outcome, e.reason])).toEqual([
      ['qdrant.count_points', 'denied', expect.stringMatching(/^tenant_bypass_attempt/)],
    ]);
  });

  it('sends a refusal once: the client does not retry a 4xx', async () => {
    const client = q.client(keys.acme);
    const before = q.requests();
    const refused = await refusal(client.query('docs', { query: [1, 1], limit: 1 }));
    expect(refused.status).toBe(422);
    expect(q.requests() - before).toBe(1);
  });

  describe('deletes select exactly what they name', () => {
    it('refuses a delete whose filter is null rather than emptying the collection', async () => {
      await run({
        name: 'a null filter',
        method: 'POST',
        target: '/collections/docs/points/delete',
        body: { filter: null },
        status: 400,
        error: '(filter)',
      });
      await expectUntouched();
    });

    // Qdrant's semantics: an empty `should` matches no point, an empty `must` or `{}` every
    // point, and `must_not` of a filter matching every point matches none.
    const SELECTS_NOTHING = [
      { should: [] },
      { must_not: [{ must: [] }] },
      { must: [{ should: [] }] },
      { should: [{ should: [] }] },
      { must: [{ key: 'n', range: { gte: 0 } }], should: [] },
    ];
    const SELECTS_EVERYTHING = [
      { must: [] },
      { must_not: [] },
      { must_not: [{ should: [] }] },
      { should: [{ must: [] }, { key: 'n', match: { value: 1 } }] },
    ];

    const countSelected = async (filter: unknown): Promise<unknown> => {
      const counted = await call({
        method: 'POST',
        target: '/collections/docs/points/count',
        body: { filter },
      });
      return (counted.json().result as { count?: unknown }).count;
    };

    it.each(SELECTS_NOTHING.map((f) => [JSON.stringify(f), f]))(
      'deletes and counts nothing for a filter that selects no point: %s',
      async (_name, filter) => {
        expect(await countSelected(filter)).toBe(0);
        const deleted = await call({
          method: 'POST',
          target: '/collections/docs/points/delete',
          body: { filter },
        });
        expect(deleted.status).toBe(200);
        await expectUntouched();
      },
    );

    it.each(SELECTS_EVERYTHING.map((f) => [JSON.stringify(f), f]))(
      'counts every point for a filter that selects every point: %s',
      async (_name, filter) => expect(await countSelected(filter)).toBe(3),
    );
  });

  it('refuses an upsert that gives both points and batch, writing neither', async () => {
    await run({
      name: 'points and batch',
      method: 'PUT',
      target: '/collections/docs/points',
      body: {
        points: [{ id: 70, vector: [1, 1, 1] }],
        batch: { ids: [71], vectors: [[1, 1, 1]] },
      },
      status: 400,
      error: '(batch)',
    });
    await expectUntouched();
  });

  describe('point ids in the forms Qdrant parses, and no other', () => {
    const CANONICAL = 'a4f3c1b2-0000-4000-8000-00000000000a';
    const REFUSED = [
      '{a4f3c1b2-0000-4000-8000-00000000000a',
      'a4f3c1b2-0000-4000-8000-00000000000a}',
      'a4f3c1b2-00004000-8000-00000000000a-',
      'a4f3c1b2-0000-4000-800000000000000a',
      '{a4f3c1b200004000800000000000000a}',
      'urn:uuid:a4f3c1b200004000800000000000000a',
      'URN:UUID:a4f3c1b2-0000-4000-8000-00000000000a',
      ' a4f3c1b2-0000-4000-8000-00000000000a',
    ];
    const ACCEPTED = [
      CANONICAL,
      CANONICAL.toUpperCase(),
      'a4f3c1b200004000800000000000000a',
      '{a4f3c1b2-0000-4000-8000-00000000000a}',
      'urn:uuid:a4f3c1b2-0000-4000-8000-00000000000a',
    ];

    beforeAll(async () => {
      await call({ method: 'PUT', target: '/collections/uuids', text: CREATE });
    });
    afterAll(async () => {
      await call({ method: 'DELETE', target: '/collections/uuids' });
    });

    it.each(REFUSED)('refuses %j', async (id) => {
      await run({
        name: id,
        method: 'PUT',
        target: '/collections/uuids/points',
        body: { points: [{ id, vector: [1, 1, 1] }] },
        status: 400,
        error: 'points[0].id',
      });
      expect(await countOf('acme', 'uuids')).toBe(0);
    });

    it.each(ACCEPTED)('stores %j under the canonical form', async (id) => {
      const put = await call({
        method: 'PUT',
        target: '/collections/uuids/points',
        body: { points: [{ id, vector: [1, 1, 1] }] },
      });
      expect(put.status).toBe(200);
      const got = await call({
        method: 'POST',
        target: '/collections/uuids/points',
        body: { ids: [CANONICAL] },
      });
      expect(ids(got)).toEqual([CANONICAL]);
      expect(await countOf('acme', 'uuids')).toBe(1);
    });
  });

  /** A PUT refused with a 400 naming `field`. */
  const refusedNaming = (field: string, target: string, body: unknown): Promise<void> =>
    run({ name: field, method: 'PUT', target, body, status: 400, error: `(${field})` });

  it.each([
    ['init_from', { init_from: { collection: 'secret' } }],
    ['sparse_vectors', { sparse_vectors: { text: {} } }],
    ['sharding_method', { sharding_method: 'custom' }],
  ])(
    'refuses a collection whose %s it would not honour, creating nothing',
    async (field, extra) => {
      await refusedNaming(field, '/collections/copied', {
        vectors: { size: 3, distance: 'Cosine' },
        ...extra,
      });
      const exists = await call({ method: 'GET', target: '/collections/copied/exists' });
      expect(exists.json().result).toEqual({ exists: false });
    },
  );

  it.each([
    ['vector', { vector: { size: 3, distance: 'Cosine' } }],
    ['hnsw', { hnsw: { m: 0 } }],
    [
      'vectors.on_disk_payload',
      { vectors: { size: 3, distance: 'Cosine', on_disk_payload: true } },
    ],
  ])(
    'refuses a collection config with %s, a field Qdrant does not define, creating nothing',
    async (field, extra) => {
      await refusedNaming(field, '/collections/unknown', {
        vectors: { size: 3, distance: 'Cosine' },
        ...extra,
      });
      const refused = await call({
        method: 'PUT',
        target: '/collections/unknown',
        body: { vectors: { size: 3, distance: 'Cosine' }, ...extra },
      });
      expect((refused.json().status as { error: string }).error).toMatch(
        new RegExp(`^Bad Request: ${field.replace('.', '\\.')} is not a field of `),
      );
      const exists = await call({ method: 'GET', target: '/collections/unknown/exists' });
      expect(exists.json().result).toEqual({ exists: false });
    },
  );

  it.each(['_vg_tenant', 'metadata.tenant_id', 'a._vg_ns'])(
    'refuses a payload index on the reserved key %s, audited as a bypass attempt',
    async (field) => {
      const requestId = randomUUID();
      const res = await call(
        {
          method: 'PUT',
          target: '/collections/docs/index',
          body: { field_name: field, field_schema: 'keyword' },
        },
        requestId,
      );
      expect(res.status).toBe(400);
      expect((res.json().status as { error: string }).error).toContain('(field_name)');
      expect((await q.audit(requestId)).map((e) => [e.action, e.reason])).toEqual([
        ['qdrant.create_field_index', expect.stringMatching(/^tenant_bypass_attempt/)],
      ]);
    },
  );

  it("refuses a suspended tenant's key, and a deleted tenant's key after the id is reused", async () => {
    const key = await q.apiKey('initech', ['reader']);
    const admin = bearer(q.gw.tokens.platform());
    await q.gw.http.patch('/v1/admin/tenants/initech').set(admin).send({ status: 'suspended' });
    const suspended = await send(qdrantPort, 'GET', '/collections', { 'api-key': key });
    expect(suspended.status).toBe(403);
    expect((await q.gw.http.delete('/v1/admin/tenants/initech').set(admin)).status).toBe(204);
    const again = await q.gw.http
      .post('/v1/admin/tenants')
      .set(admin)
      .send({ id: 'initech', ...SPACE });
    expect(again.status).toBe(201);
    const reused = await send(qdrantPort, 'GET', '/collections', { 'api-key': key });
    expect(reused.status).toBe(401);
  });

  it('bounds the floats of a retrieve with vectors as v1 bounds a fetch', async () => {
    const key = await q.apiKey('wide', ['reader']);
    const wanted = Array.from({ length: 100 }, (_, i) => i + 1);
    const retrieve = (withVector: boolean) =>
      send(
        qdrantPort,
        'POST',
        '/collections/__default__/points',
        { 'api-key': key, 'content-type': 'application/json' },
        JSON.stringify({ ids: wanted, with_vector: withVector }),
      );
    const refused = await retrieve(true);
    expect(refused.status).toBe(400);
    expect((refused.json().status as { error: string }).error).toContain('(ids)');
    expect((await retrieve(false)).status).toBe(200);
    const scrolled = await send(
      qdrantPort,
      'POST',
      '/collections/__default__/points/scroll',
      { 'api-key': key, 'content-type': 'application/json' },
      JSON.stringify({ limit: 100, with_vector: true }),
    );
    expect(scrolled.status).toBe(400);
    expect((scrolled.json().status as { error: string }).error).toContain('(limit)');
  });

  it.each([
    ['limit', { query: Array(4096).fill(1), limit: 100, with_vector: true }],
    [
      'query.mmr.candidates_limit',
      { query: { nearest: Array(4096).fill(1), mmr: { candidates_limit: 100 } }, limit: 10 },
    ],
  ])(
    'names %s, a field the client sent, when an answer would hold too many floats',
    async (field, body) => {
      const key = await q.apiKey('wide', ['reader']);
      const res = await send(
        qdrantPort,
        'POST',
        '/collections/__default__/points/query',
        { 'api-key': key, 'content-type': 'application/json' },
        JSON.stringify(body),
      );
      expect(res.status).toBe(400);
      expect((res.json().status as { error: string }).error).toContain(`(${field})`);
    },
  );

  it.each([
    ['PUT', '/collections/docs/points', { points: [{ id: 80, vector: [1, 1, 1] }] }],
    ['POST', '/collections/docs/points', { ids: [1] }],
    ['POST', '/collections/docs/points/query', { query: [1, 1, 1] }],
    ['POST', '/collections/docs/points/search', { vector: [1, 1, 1] }],
    ['POST', '/collections/docs/points/scroll', {}],
    ['POST', '/collections/docs/points/count', {}],
    ['POST', '/collections/docs/points/delete', { filter: {} }],
  ])('refuses a shard_key it would not honour: %s %s', async (method, target, body) => {
    await run({
      name: `${method} ${target}`,
      method,
      target,
      body: { ...body, shard_key: 'user-1' },
      status: 400,
      error: '(shard_key)',
    });
    await expectUntouched();
  });

  it.each([
    ['update_mode', { update_mode: 'insert_only' }],
    ['update_mode', { update_mode: 'update_only' }],
    ['update_filter', { update_filter: { must: [{ key: 'n', match: { value: 0 } }] } }],
  ])(
    'refuses an upsert whose %s it would not honour, overwriting nothing',
    async (field, extra) => {
      await refusedNaming(field, '/collections/docs/points', {
        points: [{ id: 1, vector: [0, 0, 1], payload: { n: 'overwritten' } }],
        ...extra,
      });
      const kept = await call({
        method: 'POST',
        target: '/collections/docs/points',
        body: { ids: [1], with_payload: ['n'] },
      });
      expect(kept.json().result).toEqual([{ id: 1, payload: { n: 1 }, vector: null }]);
    },
  );

  it('refuses a revoked API key', async () => {
    const made = await q.gw.http
      .post('/v1/admin/tenants/acme/api-keys')
      .set(bearer(q.gw.tokens.platform()))
      .send({ name: 'to-revoke', roles: ['reader'] });
    const { id, key } = made.body as { id: string; key: string };
    expect((await send(qdrantPort, 'GET', '/collections', { 'api-key': key })).status).toBe(200);
    const revoked = await q.gw.http
      .delete(`/v1/admin/tenants/acme/api-keys/${id}`)
      .set(bearer(q.gw.tokens.platform()));
    expect(revoked.status).toBe(204);
    expect((await send(qdrantPort, 'GET', '/collections', { 'api-key': key })).status).toBe(401);
  });
});

function deepFilter(levels: number): unknown {
  let filter: unknown = { key: 'n', match: { value: 1 } };
  for (let i = 0; i < levels; i++) filter = { must: [filter] };
  return filter;
}

describe('Qdrant API over a tenant rate limit', () => {
  let q: QdrantGateway;
  beforeAll(async () => {
    q = await startQdrantGateway(
      { acme: SPACE },
      { env: { RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '3' } },
    );
  });
  afterAll(() => q.close());

  it('answers 429 with Retry-After in Qdrant shape, sent once by the client', async () => {
    const key = await q.apiKey('acme', ['reader']);
    const port = Number(new URL(q.url).port);
    let last: Answer | undefined;
    let retryAfter: string | undefined;
    // One token a second: requests sent back to back run out of them whatever the machine's speed.
    for (let i = 0; i < 50 && last?.status !== 429; i++) {
      last = await new Promise<Answer>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path: '/collections', headers: { 'api-key': key } },
          (res) => {
            let text = '';
            retryAfter = res.headers['retry-after'];
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                body: text,
                json: () => JSON.parse(text) as { status?: unknown },
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
    }
    expect(last?.status).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(last?.json().status).toEqual({ error: expect.stringContaining('Too Many Requests') });
    const before = q.requests();
    // The client turns a 429 with a numeric Retry-After into its ResourceExhausted error.
    const thrown = await q
      .client(key)
      .getCollections()
      .then(
        () => undefined,
        (err: unknown) => err as { name?: string; retry_after?: number },
      );
    expect(thrown?.name).toBe('QdrantClientResourceExhaustedError');
    expect(thrown?.retry_after).toBeGreaterThan(0);
    expect(q.requests() - before).toBe(1);
  });
});
