import { DEFAULT_MAX_BODY_NODES } from '../../apps/gateway/src/http/json-shape';
import {
  quietInsecureKeyWarning,
  QdrantGateway,
  startQdrantGateway,
} from '../dialects/qdrant-support';
import { keyFor } from '../dialects/pinecone-support';
import { auditOf, newRequestId } from '../support/audit-trail';
import { bearer } from '../support/tokens';

const MAX_DIMENSION = 4096;

/** `{"vectors":[{},{},...]}` with `count` empty objects: 3 + count nodes. */
const emptyObjects = (count: number): string => `{"vectors":[${'{},'.repeat(count - 1)}{}]}`;

/** The shapes that cost seconds of parsing at 15 MiB, where as many bytes of numbers cost little. */
const HOSTILE: ReadonlyArray<[string, () => string, number, string]> = [
  ['five million empty objects', () => emptyObjects(5_000_000), 413, 'limit:body_nodes'],
  [
    'one object of a million keys',
    () => `{"vectors":[{"id":"a","values":[1],"metadata":{${keyList(1_000_000)}}}]}`,
    413,
    'limit:body_nodes',
  ],
  [
    'five million empty arrays',
    () => `{"vectors":[${'[],'.repeat(4_999_999)}[]]}`,
    413,
    'limit:body_nodes',
  ],
  [
    'one key of 12 MiB of dotted characters outside ASCII',
    () => `{"vectors":[{"id":"a","values":[1],"metadata":{"é${'.é'.repeat(4_000_000)}":1}}]}`,
    400,
    'limit:key_length',
  ],
  [
    'a million levels of nesting',
    () => `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`,
    400,
    'limit:body_depth',
  ],
];

/** 1,000 records at dimension 4,096 with metadata, ids `<prefix>0`..`<prefix>999`: ~15.8 MiB. */
function maximalWrite(prefix: string): string {
  const records = Array.from(
    { length: 1000 },
    (_, i) =>
      `{"id":"${prefix}${i}","values":[${Array.from({ length: MAX_DIMENSION }, (_, j) => `0.${((i + j) % 9) + 1}`).join(',')}],` +
      `"metadata":{"source":"doc-${i}.pdf","page":${i},"tags":["alpha","beta"],"loc":{"lines":{"from":${i},"to":${i + 40}}}}}`,
  );
  return `{"vectors":[${records.join(',')}]}`;
}

function keyList(count: number): string {
  return Array.from({ length: count }, (_, i) => `"k${i}":0`).join(',');
}

describe('a request body cannot freeze the gateway by its shape', () => {
  let q: QdrantGateway;
  let writer: Record<string, string>;

  beforeAll(async () => {
    quietInsecureKeyWarning();
    q = await startQdrantGateway({
      wide: { dimension: MAX_DIMENSION, metric: 'cosine' },
      narrow: { dimension: 8, metric: 'cosine' },
    });
    writer = bearer(q.gw.tokens.tenant('wide', ['reader', 'writer', 'tenant_admin']));
  });
  afterAll(() => q.close());

  const countOf = async (headers: Record<string, string>): Promise<number> =>
    ((await q.gw.http.get('/v1/stats').set(headers)).body as { vectorCount: number }).vectorCount;

  it.each(HOSTILE)(
    'refuses %s on v1 before parsing it, in problem+json naming the bound, and audits it',
    async (_name, body, status, reason) => {
      const requestId = newRequestId();
      const res = await q.gw.http
        .put('/v1/vectors')
        .set({ ...writer, 'x-request-id': requestId, 'content-type': 'application/json' })
        .send(body());
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status, field: 'body', reason });
      const events = await auditOf(q.gw, requestId);
      expect(events.map((e) => [e.status, e.reason])).toEqual([[status, `${reason} (body)`]]);
      expect(await countOf(writer)).toBe(0);
    },
  );

  it('refuses a hostile body on the Pinecone dialect in Pinecone’s error shape', async () => {
    const key = await keyFor(q.gw, 'wide', ['reader', 'writer']);
    const res = await q.gw.http
      .post('/pinecone/data/docs/vectors/upsert')
      .set({ 'api-key': key, 'content-type': 'application/json' })
      .send(emptyObjects(5_000_000));
    expect(res.status).toBe(400); // Pinecone answers a size past a limit 400
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.body).toEqual({
      code: 3,
      message: expect.stringContaining('MAX_BODY_NODES') as string,
      details: [],
    });
  });

  it('refuses a hostile body on the Qdrant listener in Qdrant’s error shape', async () => {
    const key = await q.apiKey('narrow', ['reader', 'writer']);
    const res = await fetch(`${q.url}/collections/docs/points?wait=true`, {
      method: 'PUT',
      headers: { 'api-key': key, 'content-type': 'application/json' },
      body: `{"points":[${'{},'.repeat(4_999_999)}{}]}`,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      status: { error: expect.stringContaining('MAX_BODY_NODES') as string },
      time: expect.any(Number) as number,
    });
  });

  it('parses a body of exactly MAX_BODY_NODES nodes and refuses one node more', async () => {
    // At the bound the body is parsed, and the batch itself is then too large (field vectors).
    const atBound = await q.gw.http
      .put('/v1/vectors')
      .set({ ...writer, 'content-type': 'application/json' })
      .send(emptyObjects(DEFAULT_MAX_BODY_NODES - 3));
    expect([atBound.status, atBound.body.field]).toEqual([413, 'vectors']);
    const over = await q.gw.http
      .put('/v1/vectors')
      .set({ ...writer, 'content-type': 'application/json' })
      .send(emptyObjects(DEFAULT_MAX_BODY_NODES - 2));
    expect([over.status, over.body.field, over.body.reason]).toEqual([
      413,
      'body',
      'limit:body_nodes',
    ]);
  });

  it('accepts a maximal write: 1,000 records at dimension 4,096 with metadata, under 16 MiB', async () => {
    const body = maximalWrite('r');
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(Buffer.byteLength(body)).toBeGreaterThan(15.5 * 1024 * 1024);
    const res = await q.gw.http
      .put('/v1/vectors')
      .set({ ...writer, 'content-type': 'application/json' })
      .send(body);
    expect(res.status).toBe(200);
    expect(await countOf(writer)).toBe(1000);
    const back = await q.gw.http.get('/v1/vectors/r999').set(writer);
    expect(back.body).toMatchObject({ id: 'r999', metadata: { loc: { lines: { to: 1039 } } } });
  });

  it.each([
    [
      'a reserved key deep in the last metadata',
      '"to":1039}}',
      '"to":1039,"tenant_id":"x"}}',
      'body.vectors[999].metadata.loc.lines.tenant_id',
      'tenant_bypass_attempt',
    ],
    [
      'a reserved key in an object among the last values',
      '0.1]',
      '{"tenant":"x"}]',
      'body.vectors[999].values[4095].tenant',
      'tenant_bypass_attempt',
    ],
    ['a string as the last value', '0.1]', '"0.1"]', 'vectors[999].values[4095]', undefined],
  ])(
    'refuses a maximal write with %s, naming it, and writes nothing',
    async (_name, last, replaced, field, reason) => {
      const body = maximalWrite('x');
      const at = body.lastIndexOf(last);
      const res = await q.gw.http
        .put('/v1/vectors')
        .set({ ...writer, 'content-type': 'application/json' })
        .send(body.slice(0, at) + replaced + body.slice(at + last.length));
      expect([res.status, res.body.field]).toEqual([400, field]);
      if (reason) expect(res.body).toMatchObject({ reason });
      expect((await q.gw.http.get('/v1/vectors/x0').set(writer)).status).toBe(404);
    },
  );

  it('accepts 1,000 records of the per-record budget: 127 nodes each, 64 metadata keys, 19 of them nested', async () => {
    const narrow = bearer(q.gw.tokens.tenant('narrow', ['reader', 'writer', 'tenant_admin']));
    const metadata = Object.fromEntries(
      Array.from({ length: 64 }, (_, k) => [`k${k}`, k < 19 ? { x: [k] } : k]),
    );
    const vectors = Array.from({ length: 1000 }, (_, i) => ({
      id: `n${i}`,
      values: [1, 2, 3, 4, 5, 6, 7, i + 1],
      metadata,
    }));
    const res = await q.gw.http.put('/v1/vectors').set(narrow).send({ vectors });
    expect(res.status).toBe(200);
    expect(await countOf(narrow)).toBe(1000);
  });
});
