import { createHmac, generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { sign } from 'jsonwebtoken';
import { startGateway, TestGateway } from '../support/test-gateway';
import { searchBearing } from '../support/requests';
import { bearer, TEST_SECRET } from '../support/tokens';

const IDP_ISSUER = 'https://idp.example.test/';
const IDP_AUDIENCE = 'vecgate-api';

/** A stand-in identity provider: serves a JWKS and counts how often it is asked. */
class IdentityProvider {
  readonly rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  readonly ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  fetches = 0;
  private server?: Server;

  async start(): Promise<string> {
    const keys = [
      {
        ...this.rsa.publicKey.export({ format: 'jwk' }),
        kid: 'rsa-1',
        use: 'sig',
        alg: 'RS256',
      },
      {
        ...this.ec.publicKey.export({ format: 'jwk' }),
        kid: 'ec-1',
        use: 'sig',
        alg: 'ES256',
      },
    ];
    this.server = createServer((_req, res) => {
      this.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  token(
    key: KeyObject,
    alg: 'RS256' | 'ES256',
    kid: string,
    claims: Record<string, unknown> = {},
  ): string {
    const now = Math.floor(Date.now() / 1000);
    return sign(
      {
        iss: IDP_ISSUER,
        aud: IDP_AUDIENCE,
        sub: 'user-42',
        iat: now,
        exp: now + 600,
        org: 'acme',
        vg_roles: ['reader'],
        ...claims,
      },
      key,
      { algorithm: alg, keyid: kid },
    );
  }
}

describe('token verification', () => {
  const idp = new IdentityProvider();
  let gw: TestGateway;
  const search = (token: string) => searchBearing(gw, token);

  beforeAll(async () => {
    const jwksUrl = await idp.start();
    gw = await startGateway({
      env: {
        JWT_SECRET: '',
        JWT_SECRETS: `new:${TEST_SECRET}-new,old:${TEST_SECRET}`,
        JWT_JWKS_URL: jwksUrl,
        JWT_JWKS_ISSUER: IDP_ISSUER,
        JWT_JWKS_AUDIENCE: IDP_AUDIENCE,
        JWT_JWKS_TENANT_CLAIM: 'org',
        JWT_JWKS_ROLES_CLAIM: 'vg_roles',
      },
    });
    const admin = gw.tokens.signed({ sub: 'ops', roles: ['platform_admin'] }, { keyid: 'old' });
    const created = await gw.http
      .post('/v1/admin/tenants')
      .set(bearer(admin))
      .send({ id: 'acme', dimension: 3, metric: 'cosine' });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await gw.close(true);
    await idp.stop();
  });

  it('accepts RS256 and ES256 tokens of the external provider, with its own issuer, audience and claims', async () => {
    expect((await search(idp.token(idp.rsa.privateKey, 'RS256', 'rsa-1'))).status).toBe(200);
    expect((await search(idp.token(idp.ec.privateKey, 'ES256', 'ec-1'))).status).toBe(200);
  });

  it("refuses a provider token carrying the built-in issuer's claim names instead of its own", async () => {
    const res = await search(
      idp.token(idp.rsa.privateKey, 'RS256', 'rsa-1', { org: undefined, tenant_id: 'acme' }),
    );
    expect(res.status).toBe(401);
  });

  it('refuses a provider-signed token that claims the built-in issuer', async () => {
    const res = await search(
      idp.token(idp.rsa.privateKey, 'RS256', 'rsa-1', { iss: 'vecgate', aud: 'vecgate' }),
    );
    expect(res.status).toBe(401);
  });

  it('refuses HS256 signed with the provider’s public key as the HMAC secret (key confusion)', async () => {
    const pem = idp.rsa.publicKey.export({ type: 'spki', format: 'pem' });
    for (const kid of ['rsa-1', undefined, 'new']) {
      const head = Buffer.from(
        JSON.stringify({ alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) }),
      ).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const body = Buffer.from(
        JSON.stringify({
          iss: IDP_ISSUER,
          aud: IDP_AUDIENCE,
          sub: 'x',
          iat: now,
          exp: now + 60,
          org: 'acme',
          vg_roles: ['reader'],
        }),
      ).toString('base64url');
      const signature = createHmac('sha256', pem).update(`${head}.${body}`).digest('base64url');
      expect((await search(`${head}.${body}.${signature}`)).status).toBe(401);
    }
  });

  it('refuses an unknown kid, and asks the provider again at most once per 30 seconds', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const before = idp.fetches;
    for (let i = 0; i < 5; i++) {
      const res = await search(idp.token(other.privateKey, 'RS256', `forged-${randomUUID()}`));
      expect(res.status).toBe(401);
    }
    expect(idp.fetches - before).toBeLessThanOrEqual(1);
  });

  it.each([
    ['jku', { jku: 'https://attacker.example/jwks.json' }],
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
    ['jwk', { jwk: { kty: 'oct', k: 'c2VjcmV0' } }],
    ['crit', { crit: ['exp'] }],
  ])('refuses a token whose header carries %s', async (_name, extra) => {
    const token = gw.tokens.raw(
      { alg: 'HS256', typ: 'JWT', kid: 'old', ...extra },
      { tenant_id: 'acme', roles: ['reader'] },
    );
    expect((await search(token)).status).toBe(401);
  });

  it('refuses an HS256 token without a kid once several keys are configured', async () => {
    expect((await search(gw.tokens.signed({ tenant_id: 'acme', roles: ['reader'] }))).status).toBe(
      401,
    );
  });

  it('accepts tokens of every configured HS256 key (rotation), and mints with the first', async () => {
    const old = gw.tokens.signed({ tenant_id: 'acme', roles: ['reader'] }, { keyid: 'old' });
    expect((await search(old)).status).toBe(200);
    const unknown = gw.tokens.signed(
      { tenant_id: 'acme', roles: ['reader'] },
      { keyid: 'retired' },
    );
    expect((await search(unknown)).status).toBe(401);
    const minted = await gw.http
      .post('/v1/admin/tenants/acme/tokens')
      .set(bearer(gw.tokens.signed({ sub: 'ops', roles: ['platform_admin'] }, { keyid: 'old' })))
      .send({ subject: 'svc', roles: ['reader'], ttlSeconds: 60 });
    expect(minted.status).toBe(201);
    const header = JSON.parse(
      Buffer.from(
        (minted.body as { token: string }).token.split('.')[0] as string,
        'base64url',
      ).toString(),
    ) as {
      kid: string;
    };
    expect(header.kid).toBe('new');
  });

  it.each([
    ['a future nbf', { nbf: Math.floor(Date.now() / 1000) + 3600 }],
    ['no exp', { exp: undefined }],
    ['no iat', { iat: undefined }],
    ['a wrong audience', { aud: 'someone-else' }],
    ['a wrong issuer', { iss: 'someone-else' }],
    ['roles as a string', { roles: 'reader' }],
    ['no subject', { sub: undefined }],
    ['an iat ten minutes ahead', { iat: Math.floor(Date.now() / 1000) + 600 }],
  ])('refuses a built-in token with %s (401)', async (_name, claims) => {
    const token = gw.tokens.raw(
      { alg: 'HS256', typ: 'JWT', kid: 'old' },
      { tenant_id: 'acme', roles: ['reader'], ...claims },
    );
    expect((await search(token)).status).toBe(401);
  });

  it.each([['null'], ['[]'], ['"text"'], ['notjson'], ['{"a":1'], ['']])(
    'refuses a signed token whose payload is %j with 401, and keeps serving',
    async (payload) => {
      const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'old' })).toString(
        'base64url',
      );
      const body = Buffer.from(payload).toString('base64url');
      const signature = createHmac('sha256', TEST_SECRET)
        .update(`${head}.${body}`)
        .digest('base64url');
      const res = await search(`${head}.${body}.${signature}`);
      expect(res.status).toBe(401);
      const fine = gw.tokens.signed({ tenant_id: 'acme', roles: ['reader'] }, { keyid: 'old' });
      expect((await search(fine)).status).toBe(200);
    },
  );

  it('takes the Bearer scheme in any case', async () => {
    const token = gw.tokens.signed({ tenant_id: 'acme', roles: ['reader'] }, { keyid: 'old' });
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const res = await gw.http
        .post('/v1/search')
        .set({ authorization: `${scheme} ${token}` })
        .send({ vector: [1, 0, 0], topK: 1 });
      expect(res.status).toBe(200);
    }
  });

  it('refuses an authorization header over 8 KiB before parsing it', async () => {
    const token = gw.tokens.signed(
      { tenant_id: 'acme', roles: ['reader'], pad: 'x'.repeat(9000) },
      { keyid: 'old' },
    );
    const res = await search(token);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ reason: 'token_too_large' });
  });
});
