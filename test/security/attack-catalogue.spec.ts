import { createHmac, generateKeyPairSync } from 'node:crypto';
import { connect, Socket } from 'node:net';
import type { Test } from 'supertest';
import { auditOf, expectAudited, newRequestId } from '../support/audit-trail';
import { rawRequest } from '../support/raw-http';
import { createTenant } from '../support/fixtures';
import { expectThrottledSearch, searchAs } from '../support/requests';
import { SlowStore } from '../support/slow-store';
import { startGateway, TestGateway } from '../support/test-gateway';
import { BackendDrivers, TenantVectorStore } from '@vecgate/isolation';
import { expectDeliveredPrefix, trailsAfterDrop, waitFor } from '../support/delivery';
import { bearer, TEST_SECRET, ttlFrom } from '../support/tokens';

/**
 * The attack catalogue. Every case is a request an attacker (the tenant `mallory`, or
 * someone without a valid token) sends to reach the data of `victim` (same shared table)
 * or `vault` (its own file). Each case asserts the documented status, that no byte of the
 * victims' records came back, and that the attempt left an audit event.
 */
const MARK = 'VICTIMSECRET';
const DIM = 4;
const WIDE = 4096;
/** Vectors a `standard` tenant may store here (TIER_QUOTAS). */
const QUOTA = 100;
const DEADLINE = 2000;
const now = (): number => Math.floor(Date.now() / 1000);
/** A namespace of `victim` whose very name is a secret. */
const VICTIM_NAMESPACE = `${MARK}-ns`;

/** A supertest request, or its setup followed by the request (then awaited). */
type Send = (ctx: Context, requestId: string) => Test | PromiseLike<unknown>;

/** A case: what it tries, the status it must get, and how it is sent. */
type Attack = readonly [name: string, status: number, send: Send];

interface Context {
  readonly gw: TestGateway;
  readonly mallory: { reader: string; writer: string; admin: string };
  /** Reader of `mallory-wide`, mallory's own tenant of the largest dimension. */
  readonly wide: string;
  readonly slow: SlowStore;
  readonly query: { vector: number[]; topK: number; includeMetadata: boolean };
  /** API keys: mallory's live admin and reader keys, its revoked one, victim's, phoenix's old. */
  readonly keys: {
    admin: { id: string; key: string };
    reader: string;
    revoked: string;
    victim: { id: string; key: string };
    oldPhoenix: string;
  };
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' });

function hs256(header: object, payload: object, secret: string | Buffer = TEST_SECRET): string {
  const head = Buffer.from(JSON.stringify(header)).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}

const claims = (extra: object = {}): object => ({
  iss: 'vecgate',
  aud: 'vecgate',
  sub: 'mallory-svc',
  iat: now() - 5,
  exp: now() + 600,
  tenant_id: 'victim',
  roles: ['reader'],
  ...extra,
});

const searchWith = (token: string, body?: object) => (ctx: Context, id: string) =>
  ctx.gw.http
    .post('/v1/search')
    .set({ authorization: `Bearer ${token}`, 'x-request-id': id })
    .send(body ?? ctx.query);

const withApiKey = (key: (ctx: Context) => string) => (ctx: Context, id: string) =>
  ctx.gw.http
    .post('/v1/search')
    .set({ 'api-key': key(ctx), 'x-request-id': id })
    .send(ctx.query);

const asMallory =
  (
    role: 'reader' | 'writer' | 'admin',
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    body?: object,
    headers: Record<string, string> = {},
  ) =>
  (ctx: Context, id: string) => {
    let req = ctx.gw.http[method](path).set({
      ...bearer(ctx.mallory[role]),
      'x-request-id': id,
      ...headers,
    });
    if (body) req = req.send(body);
    return req;
  };

/** A search with a token signed here: the default claims changed by `extra`, under `header`. */
const signedSearch =
  (extra: object, header: object = { alg: 'HS256' }, secret?: string | Buffer) =>
  (ctx: Context, id: string) =>
    searchWith(hs256(header, claims(extra), secret))(ctx, id);

/** Mallory's reader searching with its own query, `extra` merged into the body. */
const searchAdding =
  (extra: object, headers: Record<string, string> = {}) =>
  (ctx: Context, id: string) =>
    asMallory('reader', 'post', '/v1/search', { ...ctx.query, ...extra }, headers)(ctx, id);

const search = (filter: unknown, extra: object = {}) => searchAdding({ filter, ...extra });

/** Mallory's reader searching with a body sent as written, for JSON no client would encode. */
const rawSearch = (json: string) => (ctx: Context, id: string) =>
  ctx.gw.http
    .post('/v1/search')
    .set({ ...bearer(ctx.mallory.reader), 'x-request-id': id, 'content-type': 'application/json' })
    .send(json);

/** Mallory's reader fetching one record by an id it chose. */
const fetchRecord = (recordId: string) =>
  asMallory('reader', 'get', `/v1/vectors/${encodeURIComponent(recordId)}`);

/** A search with a token that carries no signature at all, over the default claims. */
const unsignedSearch = (header: string) => (ctx: Context, id: string) =>
  searchWith(
    `${Buffer.from(header).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`,
  )(ctx, id);

/** Forged, stale or malformed tokens: each is refused with 401. */
const TOKEN_ATTACKS: (readonly [string, Send])[] = [
  ['alg none, unsigned, claiming the victim', unsignedSearch('{"alg":"none","typ":"JWT"}')],
  ['alg "NONE" in another case', unsignedSearch('{"alg":"NONE"}')],
  [
    'HS256 signed with an RSA public key as the HMAC secret',
    signedSearch({}, { alg: 'HS256', typ: 'JWT' }, rsaPem),
  ],
  [
    'RS256 token when no RSA key is trusted',
    (c, id) =>
      searchWith(
        c.gw.tokens.signed(
          claims() as Record<string, unknown>,
          { algorithm: 'RS256' },
          rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        ),
      )(c, id),
  ],
  [
    'a valid token of mallory with its tenant claim swapped for the victim (signature kept)',
    (c, id) => {
      const [head, body, sig] = c.mallory.reader.split('.') as [string, string, string];
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      payload.tenant_id = 'victim';
      return searchWith(
        `${head}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`,
      )(c, id);
    },
  ],
  [
    'a signature made with another secret',
    signedSearch({}, { alg: 'HS256' }, 'another-secret-of-thirty-two-characters'),
  ],
  [
    'an expired token',
    signedSearch({ iat: now() - 7200, exp: now() - 3600, tenant_id: 'mallory' }),
  ],
  ['nbf in the future', signedSearch({ nbf: now() + 3600, tenant_id: 'mallory' })],
  ['no exp claim', signedSearch({ exp: undefined, tenant_id: 'mallory' })],
  ['a wrong issuer', signedSearch({ iss: 'https://evil.example', tenant_id: 'mallory' })],
  ['a wrong audience', signedSearch({ aud: 'another-service', tenant_id: 'mallory' })],
  ['tenant roles without a tenant claim', signedSearch({ tenant_id: undefined })],
  ['a roles claim of the wrong type', signedSearch({ roles: 'reader', tenant_id: 'mallory' })],
  ['a role that does not exist', signedSearch({ roles: ['superuser'], tenant_id: 'mallory' })],
  [
    'tenant and platform roles mixed in one token',
    signedSearch({ roles: ['reader', 'platform_admin'] }),
  ],
  [
    'a kid pointing at a file',
    signedSearch({ tenant_id: 'mallory' }, { alg: 'HS256', kid: '../../../../dev/null' }, ''),
  ],
  [
    'a jku header pointing at an attacker key set',
    signedSearch({ tenant_id: 'mallory' }, { alg: 'HS256', jku: 'https://evil.example/jwks.json' }),
  ],
  [
    'an x5u header pointing at an attacker certificate',
    signedSearch({ tenant_id: 'mallory' }, { alg: 'HS256', x5u: 'https://evil.example/cert.pem' }),
  ],
  [
    'an embedded jwk header',
    signedSearch(
      { tenant_id: 'mallory' },
      { alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from('x').toString('base64url') } },
      'x',
    ),
  ],
  ['an oversized token', signedSearch({ tenant_id: 'mallory', pad: 'x'.repeat(10_000) })],
  ['a token that is not a JWT', searchWith('not.a.token.at.all')],
  [
    'a token of the victim issued before its id was deleted and re-created',
    signedSearch({ tenant_id: 'phoenix', iat: now() - 60 }),
  ],
];

const ATTACKS: Attack[] = [
  ...TOKEN_ATTACKS.map(([name, send]): Attack => [name, 401, send]),
  [
    "mallory's tenant_admin reading the victim's tenant on the admin plane",
    403,
    asMallory('admin', 'get', '/v1/admin/tenants/victim'),
  ],
  [
    "mallory's tenant_admin minting a token for the victim",
    403,
    asMallory('admin', 'post', '/v1/admin/tenants/victim/tokens', {
      subject: 'x',
      roles: ['reader'],
      ttlSeconds: 60,
    }),
  ],
  [
    "mallory's tenant_admin revoking a token of the victim",
    403,
    asMallory(
      'admin',
      'delete',
      '/v1/admin/tenants/victim/tokens/00000000-0000-0000-0000-000000000000',
    ),
  ],
  [
    "mallory's tenant_admin searching inside the victim",
    403,
    asMallory('admin', 'post', '/v1/admin/tenants/victim/search', {
      vector: [1, 1, 1, 1],
      topK: 5,
    }),
  ],
  [
    "mallory's tenant_admin reading the platform audit trail",
    403,
    asMallory('admin', 'get', '/v1/admin/audit?forTenant=victim'),
  ],
  // tenant input
  ['tenant_id in the body', 400, searchAdding({ tenant_id: 'victim' })],
  ['tenantId in the body', 400, searchAdding({ tenantId: 'victim' })],
  [
    'tenant in the query string',
    400,
    (c, id) => asMallory('reader', 'post', '/v1/search?tenant=victim', c.query)(c, id),
  ],
  ['the x-tenant-id header', 400, searchAdding({}, { 'x-tenant-id': 'victim' })],
  ['the tenant-id header', 400, searchAdding({}, { 'tenant-id': 'victim' })],
  ['the x-tenant header', 400, searchAdding({}, { 'x-tenant': 'victim' })],
  [
    'a tenant key nested inside upserted metadata',
    400,
    asMallory('writer', 'put', '/v1/vectors', {
      vectors: [{ id: 'm1', values: [1, 1, 1, 1], metadata: { deep: { tenant: 'victim' } } }],
    }),
  ],
  [
    'a reserved _vg key in metadata',
    400,
    asMallory('writer', 'put', '/v1/vectors', {
      vectors: [{ id: 'm1', values: [1, 1, 1, 1], metadata: { _vg_tenant: 'victim' } }],
    }),
  ],
  ['a Tenant-ID key in another case', 400, searchAdding({ 'Tenant-ID': 'victim' })],
  ['a full-width ｔｅｎａｎｔ key', 400, searchAdding({ ｔｅｎａｎｔ: 'victim' })],
  ['a record id carrying quotes and OR 1=1', 404, fetchRecord("victim-1' OR '1'='1")],
  ['a record id carrying a SQL comment', 404, fetchRecord("victim-1'--")],
  ['a record id carrying a backslash', 404, fetchRecord('victim-1\\')],
  [
    'a NUL byte in an upserted id',
    400,
    asMallory('writer', 'put', '/v1/vectors', {
      vectors: [{ id: 'victim-1\u0000', values: [1, 1, 1, 1] }],
    }),
  ],
  ["a unicode look-alike of the victim's record id", 404, fetchRecord('vіctim-1')],
  ['a path traversal record id', 404, fetchRecord('../../embedded/embedded.db')],
  ["the victim's exact record id", 404, fetchRecord('victim-1')],
  // filters
  ['a filter value closing a quote with OR 1=1', 200, search({ owner: "x' OR '1'='1" })],
  [
    'a filter value modelled on Milvus expression injection',
    200,
    search({ owner: '" || _vg_tenant != "' }),
  ],
  [
    'a filter value modelled on SQL comment injection',
    200,
    search({ owner: "mallory') OR 1=1 --" }),
  ],
  ["a filter naming the victim's owner value", 200, search({ owner: 'victim' })],
  ['a $ne filter that would match every other tenant', 200, search({ owner: { $ne: 'mallory' } })],
  [
    'a filter on a storage column name',
    200,
    search({ tenant_uid_x: { $ne: '' }, id: { $ne: 'x' } }),
  ],
  ['a filter on the reserved _vg_tenant field', 400, search({ _vg_tenant: { $ne: 'x' } })],
  ['a $where operator', 400, search({ $where: 'this.owner == "victim"' })],
  ['a $regex operator', 400, search({ owner: { $regex: '.*' } })],
  ['an unknown $elemMatch operator', 400, search({ owner: { $elemMatch: {} } })],
  ['$exists with a non-boolean', 400, search({ owner: { $exists: 'victim' } })],
  [
    'a reserved name as a segment of a dotted filter field',
    400,
    search({ 'metadata._vg_tenant': { $exists: true } }),
  ],
  [
    'a filter nested 40 levels deep',
    400,
    search(
      Array.from({ length: 40 }).reduce<object>((inner) => ({ $and: [inner] }), { owner: 'x' }),
    ),
  ],
  [
    'a filter with 500 clauses',
    400,
    search({ $or: Array.from({ length: 500 }, (_, i) => ({ n: i })) }),
  ],
  [
    'a non-finite number in a filter',
    400,
    rawSearch('{"vector":[1,1,1,1],"topK":5,"filter":{"n":{"$gt":1e999}}}'),
  ],
  // vectors and sizes
  ['a vector of the wrong dimension', 422, searchAdding({ vector: [1, 2, 3] })],
  ['an infinite value in a vector', 400, rawSearch('{"vector":[1,1,1,1e999],"topK":5}')],
  ['topK beyond the cap', 400, searchAdding({ topK: 100_000 })],
  [
    'a batch beyond the cap',
    413,
    asMallory('writer', 'put', '/v1/vectors', {
      vectors: Array.from({ length: 1001 }, (_, i) => ({ id: `b${i}`, values: [1, 1, 1, 1] })),
    }),
  ],
  [
    'a body beyond the size limit',
    413,
    asMallory('writer', 'put', '/v1/vectors', {
      vectors: [{ id: 'big', values: [1, 1, 1, 1], metadata: { pad: 'x'.repeat(300_000) } }],
    }),
  ],
  [
    'a body nested 5,000 levels deep',
    400,
    rawSearch(`{"vector":[1,1,1,1],"topK":5,"x":${'['.repeat(5000)}${']'.repeat(5000)}}`),
  ],
  [
    'a __proto__ key (prototype pollution)',
    400,
    rawSearch('{"vector":[1,1,1,1],"topK":5,"__proto__":{"admin":true}}'),
  ],
  [
    'values of 3e38 in a query, to overflow every score to null',
    422,
    searchAdding({ vector: [3e38, 3e38, 3e38, 3e38] }),
  ],
  [
    'values of -3e38 written, to overflow the scores of later searches',
    422,
    asMallory('writer', 'put', '/v1/vectors', {
      vectors: [{ id: 'overflow', values: [-3e38, 3e38, -3e38, 3e38] }],
    }),
  ],
  // minting, revocation and attribution
  [
    'a token minted from a revoked token, at the second generation',
    401,
    async (c, id) => {
      const mint = async (by: string, roles: string[]) =>
        (
          await c.gw.http
            .post('/v1/admin/tenants/mallory/tokens')
            .set(bearer(by))
            .send({ subject: 'mallory-kept', roles, ttlSeconds: ttlFrom(by) })
        ).body as { token: string; jti: string };
      const first = await mint(c.mallory.admin, ['tenant_admin', 'reader']);
      const second = await mint(first.token, ['tenant_admin', 'reader']);
      const third = await mint(second.token, ['reader']);
      await c.gw.http
        .delete(`/v1/admin/tenants/mallory/tokens/${first.jti}`)
        .set(bearer(c.mallory.admin));
      return searchWith(third.token)(c, id);
    },
  ],
  [
    'minting from a descendant of a revoked token',
    401,
    async (c, id) => {
      const minted = await c.gw.http
        .post('/v1/admin/tenants/mallory/tokens')
        .set(bearer(c.mallory.admin))
        .send({ subject: 'mallory-root', roles: ['tenant_admin'], ttlSeconds: 600 });
      const root = minted.body as { token: string; jti: string };
      const child = (
        await c.gw.http
          .post('/v1/admin/tenants/mallory/tokens')
          .set(bearer(root.token))
          .send({
            subject: 'mallory-child',
            roles: ['tenant_admin'],
            ttlSeconds: ttlFrom(root.token),
          })
      ).body as { token: string };
      await c.gw.http
        .delete(`/v1/admin/tenants/mallory/tokens/${root.jti}`)
        .set(bearer(c.mallory.admin));
      return c.gw.http
        .post('/v1/admin/tenants/mallory/tokens')
        .set({ ...bearer(child.token), 'x-request-id': id })
        .send({ subject: 'mallory-late', roles: ['tenant_admin'], ttlSeconds: 60 });
    },
  ],
  [
    "listing the victim's minted tokens",
    403,
    asMallory('admin', 'get', '/v1/admin/tenants/victim/tokens'),
  ],
  [
    "revoking a token of the victim's by jti",
    403,
    asMallory('admin', 'delete', `/v1/admin/tenants/victim/tokens/${'0'.repeat(36)}`),
  ],
  [
    'roles given as a string, spelling tenant_admin',
    400,
    asMallory('admin', 'post', '/v1/admin/tenants/mallory/tokens', {
      subject: 'x',
      roles: 'tenant_admin',
      ttlSeconds: 60,
    }),
  ],
  [
    'a minted subject with ANSI escapes that repaint it as a platform operator',
    400,
    asMallory('admin', 'post', '/v1/admin/tenants/mallory/tokens', {
      subject: 'mallory\u001b[2K\u001b[1Gplatform-operator',
      roles: ['reader'],
      ttlSeconds: 60,
    }),
  ],
  [
    'a minted subject with a NUL and a bell',
    400,
    asMallory('admin', 'post', '/v1/admin/tenants/mallory/tokens', {
      subject: 'mallory\u0000\u0007',
      roles: ['reader'],
      ttlSeconds: 60,
    }),
  ],
  [
    'an answer larger than the bound (topK × dimension with values)',
    400,
    (c, id) =>
      c.gw.http
        .post('/v1/search')
        .set({ ...bearer(c.wide), 'x-request-id': id })
        .send({ vector: new Array(WIDE).fill(0.5), topK: 1000, includeValues: true }),
  ],
  // namespaces
  [
    'a search in a namespace named like the victim’s tenant id',
    200,
    search(undefined, { namespace: 'victim' }),
  ],
  [
    'a search in the namespace the victim wrote to, by its name',
    200,
    search(undefined, { namespace: VICTIM_NAMESPACE }),
  ],
  [
    'a fetch of a victim’s id in a namespace named like the victim’s uid',
    404,
    async (c, id) => {
      const admin = bearer(c.gw.tokens.platform());
      const uid = (await c.gw.http.get('/v1/admin/tenants/victim').set(admin)).body.uid as string;
      return asMallory('reader', 'get', `/v1/vectors/victim-1?namespace=${uid}`)(c, id);
    },
  ],
  [
    'erasing a namespace named like the victim’s id, which only the victim has',
    404,
    asMallory('writer', 'delete', '/v1/namespaces/victim'),
  ],
  [
    'listing namespaces, hoping for the victim’s',
    200,
    asMallory('reader', 'get', '/v1/namespaces'),
  ],
  [
    'a namespace named with the reserved prefix, spelling the tenant field',
    400,
    search(undefined, { namespace: '_vg_tenant_uid' }),
  ],
  [
    'a write past the tier’s storage quota',
    403,
    asMallory('writer', 'put', '/v1/vectors', {
      vectors: Array.from({ length: QUOTA + 1 }, (_, i) => ({
        id: `flood-${i}`,
        values: [1, i + 1, 1, 1],
      })),
    }),
  ],
  [
    'a filter past the cost limit (64 × $nin of 256 values), to freeze the engine',
    400,
    search({
      $and: Array.from({ length: 64 }, (_, c) => ({
        n: { $nin: Array.from({ length: 256 }, (_, i) => c * 256 + i) },
      })),
    }),
  ],
  [
    'a filter at the cost limit (64 clauses sharing 1,024 values) answers only mallory',
    200,
    search({
      $and: Array.from({ length: 64 }, (_, c) => ({
        n: { $nin: Array.from({ length: 16 }, (_, i) => 1000 + c * 16 + i) },
      })),
    }),
  ],
  [
    'a search that outlives its deadline (the backend ignores the signal)',
    504,
    async (c, id) => {
      c.slow.slow.set('mallory', { delayMs: DEADLINE * 2, honoursSignal: false });
      try {
        return await search(undefined)(c, id);
      } finally {
        c.slow.slow.delete('mallory');
      }
    },
  ],
  [
    'a guessed API key (well formed, random)',
    401,
    withApiKey(() => `vgk_${'3'.repeat(24)}_${Buffer.alloc(42, 7).toString('base64url')}`),
  ],
  ['a truncated API key of mallory', 401, withApiKey((c) => c.keys.reader.slice(0, -8))],
  [
    'mallory’s API key with its secret altered (its id kept)',
    401,
    withApiKey((c) => c.keys.reader.slice(0, 29) + 'A'.repeat(56)),
  ],
  [
    'victim’s key id with mallory’s secret spliced in',
    401,
    withApiKey((c) => `vgk_${c.keys.victim.id}_${c.keys.reader.slice(29)}`),
  ],
  [
    'a revoked API key, as a bearer',
    401,
    (c, id) =>
      c.gw.http
        .post('/v1/search')
        .set({ ...bearer(c.keys.revoked), 'x-request-id': id })
        .send(c.query),
  ],
  [
    'a deleted tenant’s API key, sent to the re-created tenant of the same id',
    401,
    withApiKey((c) => c.keys.oldPhoenix),
  ],
  [
    'mallory’s API key with a tenant header naming victim',
    400,
    (c, id) =>
      c.gw.http
        .post('/v1/search')
        .set({ 'api-key': c.keys.reader, 'x-tenant-id': 'victim', 'x-request-id': id })
        .send(c.query),
  ],
  [
    'mallory’s API key in api-key with victim’s token as a bearer (two credentials)',
    401,
    (c, id) =>
      c.gw.http
        .post('/v1/search')
        .set({
          ...bearer(c.gw.tokens.tenant('victim', ['reader'])),
          'api-key': c.keys.reader,
          'x-request-id': id,
        })
        .send(c.query),
  ],
  [
    'mallory’s tenant_admin API key listing victim’s keys',
    403,
    (c, id) =>
      c.gw.http
        .get('/v1/admin/tenants/victim/api-keys')
        .set({ 'api-key': c.keys.admin.key, 'x-request-id': id }),
  ],
  [
    'mallory’s admin revoking victim’s key through its own tenant’s path',
    404,
    (c, id) =>
      c.gw.http
        .delete(`/v1/admin/tenants/mallory/api-keys/${c.keys.victim.id}`)
        .set({ ...bearer(c.mallory.admin), 'x-request-id': id }),
  ],
  [
    'mallory’s admin creating an API key for victim',
    403,
    asMallory('admin', 'post', '/v1/admin/tenants/victim/api-keys', {
      name: 'stolen',
      roles: ['reader'],
    }),
  ],
  [
    'mallory’s admin creating an API key with a platform role',
    403,
    asMallory('admin', 'post', '/v1/admin/tenants/mallory/api-keys', {
      name: 'escalate',
      roles: ['reader', 'platform_admin'],
    }),
  ],
  [
    'mallory’s tenant_admin API key minting a token (keys cannot mint)',
    403,
    (c, id) =>
      c.gw.http
        .post('/v1/admin/tenants/mallory/tokens')
        .set({ 'api-key': c.keys.admin.key, 'x-request-id': id })
        .send({ subject: 'from-key', roles: ['reader'], ttlSeconds: 60 }),
  ],
  [
    'mallory describing the victim’s namespace as a Pinecone index',
    404,
    asMallory('reader', 'get', '/pinecone/indexes/victim'),
  ],
  [
    'mallory querying the victim’s namespace as a Pinecone index',
    404,
    asMallory('reader', 'post', '/pinecone/data/victim/query', {
      vector: [1, 1, 1, 1],
      topK: 10,
      includeMetadata: true,
    }),
  ],
  [
    'a tenant header on the Pinecone API',
    400,
    asMallory('reader', 'get', '/pinecone/indexes', undefined, { 'x-tenant-id': 'victim' }),
  ],
  [
    'a reserved key in Pinecone metadata',
    400,
    asMallory('writer', 'post', '/pinecone/data/mallory/vectors/upsert', {
      vectors: [{ id: 'p', values: [1, 1, 1, 1], metadata: { tenant_id: 'victim' } }],
    }),
  ],
  [
    'a reserved key in a Pinecone filter',
    400,
    asMallory('reader', 'post', '/pinecone/data/victim/query', {
      vector: [1, 1, 1, 1],
      topK: 10,
      filter: { _vg_tenant: { $eq: 'victim' } },
    }),
  ],
];

describe('attack catalogue', () => {
  let ctx: Context;

  beforeAll(async () => {
    let slow: SlowStore | undefined;
    const gw = await startGateway({
      env: {
        MAX_BODY_BYTES: String(256 * 1024),
        AUDIT_UNAUTHENTICATED_PER_SECOND: '100000',
        REQUEST_TIMEOUT_MS: '1500',
        REQUEST_DEADLINE_MS: String(DEADLINE),
        SOCKET_WRITE_TIMEOUT_MS: '1000',
        MAX_CONNECTIONS_PER_IP: '64',
        TIER_QUOTAS: `standard:vectors=${QUOTA}`,
        // `bulk` shares the standard tenants' table without their small quota (erasure case).
        PLACEMENT_POLICY:
          'enterprise=embedded:database,premium=embedded:collection,' +
          'standard=embedded:partition_key,bulk=embedded:partition_key',
      },
      // The real store, slowed for mallory only when a deadline case asks for it.
      override: (builder) =>
        builder.overrideProvider(TenantVectorStore).useFactory({
          factory: (drivers: BackendDrivers) => (slow = new SlowStore(drivers)),
          inject: [BackendDrivers],
        }),
    });
    // 256 records of 4,096 dimensions: answers of ~20 MB for the unread-answer case, written
    // in batches that fit this gateway's small body limit.
    const wideTenant = { id: 'mallory-wide', tier: 'premium', dimension: WIDE, metric: 'dot' };
    await createAndFill(gw, wideTenant, 32, (batch) =>
      Array.from({ length: 8 }, (_, i) => ({
        id: `w${batch * 8 + i}`,
        // Short in the request, long in the answer: 0.1 comes back as 0.10000000149011612.
        values: Array.from({ length: WIDE }, (_, j) => (((batch + i + j) % 9) + 1) / 10),
      })),
    );
    for (const [id, tier] of [
      ['victim', 'standard'],
      ['vault', 'enterprise'],
      ['mallory', 'standard'],
      ['phoenix', 'standard'],
    ] as const) {
      await createTenant(gw.http, gw.tokens, { id, tier, dimension: DIM, metric: 'cosine' });
    }
    for (const victim of ['victim', 'vault']) {
      const res = await gw.http
        .put('/v1/vectors')
        .set(bearer(gw.tokens.tenant(victim, ['writer'])))
        .send({
          vectors: [1, 2, 3].map((n) => ({
            id: `victim-${n}`,
            values: [1, n, 1, 1],
            metadata: { owner: victim, secret: `${MARK}-${n}`, n },
          })),
        });
      expect(res.status).toBe(200);
    }
    for (const namespace of ['victim', VICTIM_NAMESPACE]) {
      const res = await gw.http
        .put('/v1/vectors')
        .set(bearer(gw.tokens.tenant('victim', ['writer'])))
        .send({
          namespace,
          vectors: [
            {
              id: 'victim-ns-1',
              values: [1, 1, 1, 1],
              metadata: { owner: 'victim', secret: MARK },
            },
          ],
        });
      expect(res.status).toBe(200);
    }
    await gw.http
      .put('/v1/vectors')
      .set(bearer(gw.tokens.tenant('mallory', ['writer'])))
      .send({
        vectors: [{ id: 'mallory-1', values: [1, 1, 1, 1], metadata: { owner: 'mallory', n: 1 } }],
      });
    const keyOf = async (tenant: string, roles: string[]): Promise<{ id: string; key: string }> => {
      const res = await gw.http
        .post(`/v1/admin/tenants/${tenant}/api-keys`)
        .set(bearer(gw.tokens.platform()))
        .send({ name: `${tenant}-key`, roles });
      expect(res.status).toBe(201);
      return res.body as { id: string; key: string };
    };
    const oldPhoenix = await keyOf('phoenix', ['reader']);
    const revoked = await keyOf('mallory', ['reader']);
    const revocation = await gw.http
      .delete(`/v1/admin/tenants/mallory/api-keys/${revoked.id}`)
      .set(bearer(gw.tokens.platform()));
    expect(revocation.status).toBe(204);
    expect(
      (await gw.http.delete('/v1/admin/tenants/phoenix').set(bearer(gw.tokens.platform()))).status,
    ).toBe(204);
    await createTenant(gw.http, gw.tokens, { id: 'phoenix', dimension: DIM, metric: 'cosine' });
    ctx = {
      gw,
      mallory: {
        reader: gw.tokens.tenant('mallory', ['reader']),
        writer: gw.tokens.tenant('mallory', ['writer']),
        admin: gw.tokens.tenant('mallory', ['tenant_admin', 'reader']),
      },
      query: { vector: [1, 1, 1, 1], topK: 50, includeMetadata: true },
      wide: gw.tokens.tenant('mallory-wide', ['reader']),
      slow: slow as SlowStore,
      keys: {
        admin: await keyOf('mallory', ['tenant_admin', 'reader']),
        reader: (await keyOf('mallory', ['reader'])).key,
        revoked: revoked.key,
        victim: await keyOf('victim', ['reader']),
        oldPhoenix: oldPhoenix.key,
      },
    };
  });

  afterAll(() => ctx.gw.close(true));

  it('holds at least 40 cases', () => {
    expect(ATTACKS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(ATTACKS)('%s', async (_name, status, send) => {
    const requestId = newRequestId();
    const res = (await send(ctx, requestId)) as {
      status: number;
      text: string;
      body: unknown;
    };
    expect(res.status).toBe(status);
    expect(res.text ?? JSON.stringify(res.body)).not.toContain(MARK);
    const body = res.body as { matches?: { metadata?: { owner?: string } }[] };
    if (status === 200 && body.matches !== undefined) {
      expect(body.matches.every((m) => m.metadata?.owner === 'mallory')).toBe(true);
    }
    await expectAudited(ctx.gw, requestId, status);
  });

  it.each([
    ['GET', '/docs/../../../../etc/passwd'],
    ['HEAD', '/docs/../x'],
    ['GET', '/docs/%2e%2e/%2e%2e/%2e%2e/etc/passwd'],
    ['GET', '/docs/..%2f..%2f..%2fdata/vecgate.db'],
  ])('%s %s (path sent as is) is a 4xx problem, never a 500 or a file', async (method, path) => {
    const answer = await rawRequest(ctx.gw, method, path);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body).not.toContain('root:');
    expect(answer.body).not.toContain('SQLite');
  });

  it("an x-request-id copied from another request never files mallory's request under it", async () => {
    const victim = await searchAs(ctx.gw, 'victim', ctx.query);
    const victimId = victim.headers['x-request-id'] as string;
    const res = await searchWith(ctx.mallory.reader)(ctx, victimId);
    expect(res.status).toBe(200);
    await ctx.gw.flushAudit();
    const filed = await ctx.gw.http
      .get('/v1/admin/audit')
      .query({ requestId: victimId })
      .set(bearer(ctx.gw.tokens.platform(['auditor'])));
    expect((filed.body as { items: { tenantId?: string }[] }).items.map((e) => e.tenantId)).toEqual(
      ['victim'],
    );
  });

  it('erasing a large shared-strategy tenant leaves its neighbours in the same table served and whole', async () => {
    const gw = ctx.gw;
    const bulky = { id: 'bulky', tier: 'bulk', dimension: DIM, metric: 'cosine' };
    await createAndFill(gw, bulky, 8, (batch) =>
      Array.from({ length: 250 }, (_, i) => ({
        id: `b${batch * 250 + i}`,
        values: [1, (i % 7) + 1, batch + 1, 1],
        metadata: { owner: 'bulky', pad: 'x'.repeat(200) },
      })),
    );
    const requestId = newRequestId();
    const erasure = gw.http
      .delete('/v1/admin/tenants/bulky')
      .set({ ...bearer(gw.tokens.platform()), 'x-request-id': requestId })
      .then((r) => r);
    // The victim shares bulky's table (both standard, same space): served during the erasure.
    const during = await gw.http
      .get('/v1/vectors/victim-2')
      .set(bearer(gw.tokens.tenant('victim', ['reader'])));
    expect(during.status).toBe(200);
    expect((await erasure).status).toBe(204);
    await expectAudited(gw, requestId, 204);
    const after = await searchAs(gw, 'victim', ctx.query);
    expect(after.status).toBe(200);
    const owners = (after.body as { matches: { metadata: { owner: string } }[] }).matches.map(
      (m) => m.metadata.owner,
    );
    expect(owners).toEqual(['victim', 'victim', 'victim']);
  }, 60_000);

  it('a body that arrives too slowly is cut off (408) and audited', async () => {
    const requestId = newRequestId();
    const { port } = ctx.gw;
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /v1/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ctx.mallory.reader}\r\n` +
            `x-request-id: ${requestId}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"vector":`,
        );
      });
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.setTimeout(10_000, () => socket.destroy());
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    const event = await expectAudited(ctx.gw, requestId, 408);
    expect(event.tenantId).toBe('mallory');
  });

  it('audit spam, then a page read: the spammer gets its own newest event, the victim’s page none of the spam', async () => {
    const spam = 2000;
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (sent < spam) {
        sent++;
        await ctx.gw.http.get('/v1/vectors/no-such-record').set(bearer(ctx.mallory.reader));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const requestId = newRequestId();
    const res = await ctx.gw.http
      .get('/v1/audit')
      .query({ limit: 1 })
      .set({ ...bearer(ctx.mallory.admin), 'x-request-id': requestId });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(MARK);
    const page = res.body as { items: { tenantId?: string }[]; nextCursor: string | null };
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.tenantId).toBe('mallory');
    expect(page.nextCursor).not.toBeNull();
    await expectAudited(ctx.gw, requestId, 200);
    // The victim's own page holds none of it: only its own events and those aimed at it.
    const victim = await ctx.gw.http
      .get('/v1/audit')
      .query({ limit: 50 })
      .set(bearer(ctx.gw.tokens.tenant('victim', ['tenant_admin'])));
    expect(victim.status).toBe(200);
    const items = (victim.body as { items: { tenantId?: string; targetTenant?: string }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.filter((e) => e.tenantId !== 'victim' && e.targetTenant !== 'victim')).toEqual([]);
  }, 60_000);

  it('answers nobody reads are dropped with their connection and audited 499, not 200', async () => {
    const { port } = ctx.gw;
    const ids = Array.from({ length: 12 }, () => newRequestId());
    const body = JSON.stringify({
      vector: new Array(WIDE).fill(0.5),
      topK: 64,
      includeValues: true,
    });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('connect', r));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    for (const id of ids) {
      socket.write(
        `POST /v1/search HTTP/1.1\r\nhost: x\r\nx-request-id: ${id}\r\n` +
          `authorization: Bearer ${ctx.wide}\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.pause();
    const trails = await trailsAfterDrop(() => Promise.all(ids.map((id) => auditOf(ctx.gw, id))));
    expectDeliveredPrefix(trails);
    expect(trails.flat().every((e) => e.tenantId === 'mallory-wide')).toBe(true);
    socket.resume();
    socket.destroy();
    expect(received).not.toContain(MARK);
  }, 60_000);

  it('a flood of half-sent connections from one address is cut at its cap; others are served', async () => {
    const { port } = ctx.gw;
    const flood: Socket[] = [];
    const requestIds: string[] = [];
    let closed = 0;
    for (let i = 0; i < 300; i++) {
      const socket = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
      socket.on('error', () => undefined);
      socket.on('close', () => closed++);
      socket.on('connect', () => socket.write('POST /v1/search HTTP/1.1\r\nHost: x\r\n'));
      flood.push(socket);
    }
    try {
      await waitFor(() => closed >= 300 - 64);
      await new Promise((r) => setTimeout(r, 200));
      // At most the cap stays open (fewer if another test's connection is still counted).
      expect(closed).toBeGreaterThanOrEqual(300 - 64);
      expect(closed).toBeLessThan(300);
      const requestId = newRequestId();
      const answer = await new Promise<string>((resolve) => {
        const socket = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => {
          const body = JSON.stringify(ctx.query);
          socket.write(
            `POST /v1/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ctx.mallory.reader}\r\n` +
              `x-request-id: ${requestId}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
              `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          );
        });
        let data = '';
        socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
        socket.on('close', () => resolve(data));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      expect(answer).not.toContain(MARK);
      requestIds.push(requestId);
    } finally {
      for (const socket of flood) socket.destroy();
    }
    // The audit is read over 127.0.0.1 too, once the flood's connections are gone.
    await new Promise((r) => setTimeout(r, 200));
    for (const requestId of requestIds) await expectAudited(ctx.gw, requestId, 200);
    expect(requestIds).toHaveLength(1);
  });
});

describe('attack catalogue: refused-request floods', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({
      env: {
        // One token a second: a flood empties the bucket however slow the machine is.
        RATE_LIMIT_RPS: '1',
        RATE_LIMIT_BURST: '20',
        UNAUTH_RATE_LIMIT_RPS: '1',
        UNAUTH_RATE_LIMIT_BURST: '20',
        AUDIT_UNAUTHENTICATED_PER_SECOND: '100000',
      },
    });
    for (const id of ['victim', 'mallory'])
      await createTenant(gw.http, gw.tokens, { id, dimension: DIM, metric: 'cosine' });
    const res = await gw.http
      .put('/v1/vectors')
      .set(bearer(gw.tokens.tenant('victim', ['writer'])))
      .send({ vectors: [{ id: 'v', values: [1, 1, 1, 1], metadata: { secret: MARK } }] });
    expect(res.status).toBe(200);
  });

  afterAll(() => gw.close(true));

  const query = { vector: [1, 1, 1, 1], topK: 5, includeMetadata: true };

  it('a flood of refused requests from one token (tenant header) ends in 429, charged to the sender, audited', async () => {
    const mallory = bearer(gw.tokens.tenant('mallory', ['reader']));
    for (let i = 0; i < 60; i++) {
      const refused = await gw.http
        .post('/v1/search')
        .set({ ...mallory, 'x-tenant-id': 'victim' })
        .send(query);
      if (refused.status === 429) break;
    }
    const { text, event } = await expectThrottledSearch(
      gw,
      { ...mallory, 'x-tenant-id': 'victim' },
      query,
    );
    expect(text).not.toContain(MARK);
    expect(event.tenantId).toBe('mallory');
    expect((await searchAs(gw, 'victim', query)).status).toBe(200);
  });

  it('a flood of forged tokens from one address ends in 429, audited without a subject', async () => {
    const forged = { authorization: `Bearer ${hs256({ alg: 'HS256' }, claims(), 'guess')}` };
    for (let i = 0; i < 40; i++) {
      const refused = await gw.http.post('/v1/search').set(forged).send(query);
      if (refused.status === 429) break;
    }
    const { text, event } = await expectThrottledSearch(gw, forged, query);
    expect(text).not.toContain(MARK);
    expect(event.subject).toBeUndefined();
    expect(event.claimedTenant).toBe('victim');
  });
});

describe('attack catalogue: unknown API key floods', () => {
  it('a flood of guessed API keys from one address ends in 429, charged to that address', async () => {
    const gw = await startGateway({
      env: {
        UNAUTH_RATE_LIMIT_RPS: '1',
        UNAUTH_RATE_LIMIT_BURST: '20',
        AUDIT_UNAUTHENTICATED_PER_SECOND: '100000',
      },
    });
    try {
      const guess = (i: number): string =>
        `vgk_${i.toString(16).padStart(24, '0')}_${Buffer.alloc(42, i).toString('base64url')}`;
      const statuses: number[] = [];
      for (let i = 0; i < 40 && !statuses.includes(429); i++) {
        statuses.push((await gw.http.get('/v1/stats').set({ 'api-key': guess(i) })).status);
      }
      expect(statuses.slice(0, 10)).toEqual(new Array(10).fill(401));
      const requestId = newRequestId();
      const res = await gw.http
        .get('/v1/stats')
        .set({ 'api-key': guess(99), 'x-request-id': requestId });
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await expectAudited(gw, requestId, 429)).subject).toBeUndefined();
    } finally {
      await gw.close(true);
    }
  });
});

/** Creates a tenant, then writes `batches` batches of records into it, each accepted whole. */
async function createAndFill(
  gw: TestGateway,
  tenant: { id: string; tier: string; dimension: number; metric: string },
  batches: number,
  records: (batch: number) => object[],
): Promise<void> {
  await createTenant(gw.http, gw.tokens, tenant);
  const writer = bearer(gw.tokens.tenant(tenant.id, ['writer']));
  for (let batch = 0; batch < batches; batch++) {
    const res = await gw.http
      .put('/v1/vectors')
      .set(writer)
      .send({ vectors: records(batch) });
    expect(res.status).toBe(200);
  }
}
