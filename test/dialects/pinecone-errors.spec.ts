import { Pinecone } from '@pinecone-database/pinecone';
import { bearer } from '../support/tokens';
import {
  auditedAs,
  keyFor,
  ListeningGateway,
  startListening,
  tenantWithKey,
} from './pinecone-support';

const SPEC = { serverless: { cloud: 'aws' as const, region: 'us-east-1' } };

interface Answer {
  status: number;
  type: string;
  body: unknown;
}

describe('Pinecone dialect errors, whatever raised them', () => {
  let lg: ListeningGateway;
  let key: string;

  const call = async (
    method: string,
    path: string,
    init: { body?: string; type?: string; apiKey?: string } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { 'api-key': init.apiKey ?? key };
    if (init.type) headers['content-type'] = init.type;
    const res = await fetch(`${lg.base}${path}`, { method, headers, body: init.body });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
  };

  beforeAll(async () => {
    lg = await startListening();
    key = await tenantWithKey(lg.gw, { id: 'acme', dimension: 4, metric: 'cosine' });
    const pc = new Pinecone({ apiKey: key, controllerHostUrl: `${lg.base}/pinecone` });
    await pc.createIndex({ name: 'docs', dimension: 4, metric: 'cosine', spec: SPEC });
  }, 60_000);

  afterAll(async () => {
    await lg?.gw.close(true);
  });

  it('answers an unrouted /pinecone path 404 in the control plane’s shape', async () => {
    const answer = await call('GET', '/pinecone/collections');
    expect(answer.status).toBe(404);
    expect(answer.type).toMatch(/^application\/json/);
    expect(answer.body).toEqual({
      error: { code: 'NOT_FOUND', message: expect.any(String) },
      status: 404,
    });
  });

  it('answers an unrouted path under an index host 404 in the data plane’s shape', async () => {
    const answer = await call('POST', '/pinecone/data/docs/vectors/nowhere', {
      body: '{}',
      type: 'application/json',
    });
    expect([answer.status, answer.type]).toEqual([
      404,
      expect.stringMatching(/^application\/json/),
    ]);
    expect(answer.body).toEqual({ code: 5, message: expect.any(String), details: [] });
  });

  it('answers a body that is not JSON 400 INVALID_ARGUMENT on either plane', async () => {
    const data = await call('POST', '/pinecone/data/docs/query', {
      body: '{"vector": [1, 0,',
      type: 'application/json',
    });
    expect(data.status).toBe(400);
    expect(data.body).toEqual({ code: 3, message: expect.any(String), details: [] });
    const control = await call('POST', '/pinecone/indexes', {
      body: 'not json',
      type: 'application/json',
    });
    expect(control.status).toBe(400);
    expect(control.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' }, status: 400 });
  });

  it('answers an unsupported body type 415 and an over-long path 414 in Pinecone’s shape', async () => {
    const text = await call('POST', '/pinecone/data/docs/query', { body: 'x', type: 'text/plain' });
    expect([text.status, text.body]).toEqual([
      415,
      { code: 3, message: expect.any(String), details: [] },
    ]);
    const long = await call('GET', `/pinecone/indexes/${'a'.repeat(9000)}`);
    expect(long.status).toBe(414);
    expect(long.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' }, status: 414 });
  });

  it('answers an unknown key 401 alike on routed and unrouted paths, without a Bearer challenge', async () => {
    const answers = [];
    for (const path of ['/pinecone/data/docs/nowhere', '/pinecone/data/docs/vectors/fetch']) {
      const res = await fetch(`${lg.base}${path}`, { headers: { 'api-key': 'vgk_bogus' } });
      expect(res.headers.get('www-authenticate')).toBeNull();
      answers.push([res.status, await res.json()]);
    }
    expect(answers[0]).toEqual([401, { code: 16, message: expect.any(String), details: [] }]);
    expect(answers[1]).toEqual(answers[0]);
  });

  it('refuses a platform token on the Pinecone API 403 in Pinecone’s shape', async () => {
    const res = await fetch(`${lg.base}/pinecone/indexes`, {
      headers: bearer(lg.gw.tokens.platform()),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: { code: 'PERMISSION_DENIED', message: expect.any(String) },
      status: 403,
    });
  });

  it('leaves paths outside /pinecone to problem+json', async () => {
    const near = await call('GET', '/pineconex/indexes');
    expect(near.status).toBe(404);
    expect(near.type).toMatch(/^application\/problem\+json/);
    expect(near.body).toMatchObject({ status: 404, title: 'Not Found' });
  });

  it('names the concrete path in the audit events of calls refused before their handler', async () => {
    const reader = await keyFor(lg.gw, 'acme', ['reader']);
    const upsert = JSON.stringify({ vectors: [{ id: 'r', values: [1, 0, 0, 0] }] });
    const json = 'application/json';
    const denied = await call('POST', '/pinecone/data/docs/vectors/upsert', {
      body: upsert,
      type: json,
      apiKey: reader,
    });
    const unknown = await call('POST', '/pinecone/data/docs/vectors/upsert', {
      body: upsert,
      type: json,
      apiKey: 'vgk_bogus',
    });
    const badName = await call('POST', '/pinecone/data/Bad_Name/vectors/upsert', {
      body: upsert,
      type: json,
      apiKey: reader,
    });
    expect([denied.status, unknown.status, badName.status]).toEqual([403, 401, 403]);
    const events = await auditedAs(lg.gw, 'pinecone.upsert');
    expect(events.map((e) => [e.status, e.resource]).sort()).toEqual([
      [401, 'POST /pinecone/data/docs/vectors/upsert'],
      [403, 'POST /pinecone/data/:index/vectors/upsert'],
      [403, 'POST /pinecone/data/docs/vectors/upsert'],
    ]);
    const describe = await call('GET', '/pinecone/indexes/docs', { apiKey: 'vgk_bogus' });
    expect(describe.status).toBe(401);
    expect((await auditedAs(lg.gw, 'pinecone.describe_index'))[0]).toMatchObject({
      status: 401,
      resource: 'GET /pinecone/indexes/docs',
    });
  });

  it('is what the SDK reads: a refusal shows vecgate’s reason and is not retried', async () => {
    const reader = new Pinecone({
      apiKey: await keyFor(lg.gw, 'acme', ['reader']),
      controllerHostUrl: `${lg.base}/pinecone`,
      maxRetries: 3,
    });
    lg.resetCount();
    await expect(reader.deleteIndex('docs')).rejects.toThrow('requires one of the roles: writer');
    expect(lg.requestsTo('/pinecone/indexes/docs')).toBe(1);
  });

  it('refuses a bad query or update by id whether the record exists or not', async () => {
    const json = 'application/json';
    const upsert = { vectors: [{ id: 'here', values: [1, 0, 0, 0], metadata: { n: 1 } }] };
    const stored = await call('POST', '/pinecone/data/docs/vectors/upsert', {
      body: JSON.stringify(upsert),
      type: json,
    });
    expect(stored.status).toBe(200);
    const cases: [string, string, object, string][] = [
      ['query', '/pinecone/data/docs/query', { topK: 'abc' }, 'topK'],
      ['query', '/pinecone/data/docs/query', { topK: 5, filter: { $bogus: 1 } }, 'filter'],
      ['query', '/pinecone/data/docs/query', { topK: 5000, includeValues: true }, 'topK'],
      ['update', '/pinecone/data/docs/vectors/update', { values: 'abc' }, 'values'],
      ['update', '/pinecone/data/docs/vectors/update', { values: [1, 0] }, 'values'],
      [
        'update',
        '/pinecone/data/docs/vectors/update',
        { setMetadata: { 'a b': 1 } },
        'setMetadata',
      ],
      // A reserved key, refused before the handler, named as the request sent it.
      [
        'update',
        '/pinecone/data/docs/vectors/update',
        { setMetadata: { _vg: 1 } },
        'setMetadata._vg',
      ],
      [
        'update',
        '/pinecone/data/docs/vectors/update',
        { setMetadata: { text: 'x'.repeat(50_000) } },
        'setMetadata',
      ],
    ];
    for (const id of ['here', 'missing']) {
      for (const [, path, fields, field] of cases) {
        const answer = await call('POST', path, {
          body: JSON.stringify({ id, ...fields }),
          type: json,
        });
        expect([id, field, answer.status]).toEqual([id, field, 400]);
        expect((answer.body as { message: string }).message).toMatch(new RegExp(`^${field}`));
      }
    }
    // The stored record is untouched, and the calls themselves still work.
    const fetched = await call('GET', '/pinecone/data/docs/vectors/fetch?ids=here');
    expect(fetched.body).toMatchObject({ vectors: { here: { metadata: { n: 1 } } } });
    const query = await call('POST', '/pinecone/data/docs/query', {
      body: JSON.stringify({ id: 'missing', topK: 3 }),
      type: json,
    });
    expect(query).toMatchObject({ status: 200, body: { matches: [] } });
  });
});
