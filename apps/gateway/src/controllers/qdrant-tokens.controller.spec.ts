import { verify } from 'jsonwebtoken';
import {
  BackendDrivers,
  EmbeddedBackend,
  ISOLATION_OPTIONS,
  IsolationOptions,
} from '@vecgate/isolation';
import { QdrantBackend } from '@vecgate/isolation';
import { expectAudited, newRequestId } from '../../../../test/support/audit-trail';
import { createTenant } from '../../../../test/support/fixtures';
import { startGateway, TestGateway } from '../../../../test/support/test-gateway';
import { bearer } from '../../../../test/support/tokens';
import { QdrantStub } from '../../../../test/wire/qdrant/stub';
import { stubOptions } from '../../../../test/wire/qdrant/fixtures';

const KEY = 'controller-test-qdrant-api-key';

/**
 * POST /v1/admin/tenants/:id/qdrant-token through the whole gateway (guards, validation,
 * audit), with the Qdrant backend enabled against the wire stub.
 */
describe('POST /v1/admin/tenants/:id/qdrant-token', () => {
  let stub: QdrantStub;
  let gw: TestGateway;

  const mint = (token: string, tenant: string, body: unknown, requestId = newRequestId()) =>
    gw.http
      .post(`/v1/admin/tenants/${tenant}/qdrant-token`)
      .set({ ...bearer(token), 'x-request-id': requestId })
      .send(body as object);

  beforeAll(async () => {
    stub = await QdrantStub.start({ apiKey: KEY });
    gw = await startGateway({
      env: { MAX_TOKEN_TTL: '7200' },
      override: (builder) =>
        builder.overrideProvider(BackendDrivers).useFactory({
          inject: [ISOLATION_OPTIONS],
          factory: (o: IsolationOptions) =>
            new BackendDrivers([
              new EmbeddedBackend(o.embedded),
              new QdrantBackend(stubOptions(stub.url, { apiKey: KEY, tokenMaxTtlSeconds: 1800 })),
            ]),
        }),
    });
    await createTenant(gw.http, gw.tokens, {
      id: 'acme',
      backend: 'qdrant',
      strategy: 'collection',
      dimension: 8,
      metric: 'cosine',
    });
    await createTenant(gw.http, gw.tokens, {
      id: 'shared',
      backend: 'qdrant',
      strategy: 'partition_key',
      dimension: 8,
      metric: 'cosine',
    });
    await createTenant(gw.http, gw.tokens, { id: 'local', dimension: 3, metric: 'cosine' });
  });

  afterAll(async () => {
    await gw.close(true);
    await stub.close();
  });

  it('mints for platform_admin a token that opens only the tenant’s collection, audited', async () => {
    const requestId = newRequestId();
    const res = await mint(
      gw.tokens.platform(),
      'acme',
      { access: 'rw', ttlSeconds: 900 },
      requestId,
    );
    expect(res.status).toBe(201);
    const body = res.body as { token: string; expiresAt: string; collection: string; url: string };
    const tenant = (await gw.http.get('/v1/admin/tenants/acme').set(bearer(gw.tokens.platform())))
      .body as { uid: string };
    expect(body.collection).toBe(`vg_t_${tenant.uid}`);
    expect(body.url).toBe(stub.url);
    const claims = verify(body.token, KEY, { algorithms: ['HS256'] }) as Record<string, unknown>;
    expect(claims.access).toEqual([{ collection: `vg_t_${tenant.uid}`, access: 'rw' }]);
    expect(claims.value_exists).toEqual({
      collection: 'vg_token_grants',
      matches: [{ key: '_vg_tenant', value: tenant.uid }],
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
    expect(body.expiresAt).toBe(new Date((claims.exp as number) * 1000).toISOString());
    const event = await expectAudited(gw, requestId, 201);
    expect(event).toMatchObject({ action: 'admin.qdrant_token.mint', targetTenant: 'acme' });
  });

  it('mints for the tenant_admin of that tenant, and refuses another tenant’s admin (403)', async () => {
    const own = gw.tokens.tenant('acme', ['tenant_admin']);
    expect((await mint(own, 'acme', { access: 'r', ttlSeconds: 60 })).status).toBe(201);
    const outsider = gw.tokens.tenant('local', ['tenant_admin']);
    expect((await mint(outsider, 'acme', { access: 'r', ttlSeconds: 60 })).status).toBe(403);
    const reader = gw.tokens.tenant('acme', ['reader']);
    expect((await mint(reader, 'acme', { access: 'r', ttlSeconds: 60 })).status).toBe(403);
  });

  it('refuses a tenant on a shared Qdrant strategy or on another backend with a 409', async () => {
    const shared = await mint(gw.tokens.platform(), 'shared', { access: 'r', ttlSeconds: 60 });
    expect(shared.status).toBe(409);
    expect((shared.body as { detail: string }).detail).toMatch(/partition_key strategy/);
    const local = await mint(gw.tokens.platform(), 'local', { access: 'r', ttlSeconds: 60 });
    expect(local.status).toBe(409);
    expect((local.body as { detail: string }).detail).toMatch(/embedded backend/);
  });

  it('validates the body and bounds the TTL (400)', async () => {
    const admin = gw.tokens.platform();
    for (const body of [
      { access: 'm', ttlSeconds: 60 },
      { access: 'r', ttlSeconds: 0 },
      { access: 'r' },
      { access: 'r', ttlSeconds: 60, collection: 'other' },
      { access: 'r', ttlSeconds: 1801 },
    ]) {
      const res = await mint(admin, 'acme', body);
      expect(res.status).toBe(400);
    }
    expect((await mint(admin, 'nope', { access: 'r', ttlSeconds: 60 })).status).toBe(404);
  });

  it('refuses a suspended tenant (409): Qdrant would not enforce the suspension', async () => {
    const admin = gw.tokens.platform();
    await gw.http.patch('/v1/admin/tenants/acme').set(bearer(admin)).send({ status: 'suspended' });
    try {
      const res = await mint(admin, 'acme', { access: 'r', ttlSeconds: 60 });
      expect(res.status).toBe(409);
      expect((res.body as { detail: string }).detail).toMatch(/suspended/);
    } finally {
      await gw.http.patch('/v1/admin/tenants/acme').set(bearer(admin)).send({ status: 'active' });
    }
  });
});
