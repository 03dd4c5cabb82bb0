import { expectAudited, newRequestId } from '../support/audit-trail';
import { refusedSearch } from '../support/requests';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';
import { deleteTenant } from '../support/tenant-deletion';

describe('admin plane: tenant lifecycle', () => {
  let gw: TestGateway;
  let admin: Record<string, string>;
  beforeAll(async () => {
    gw = await startGateway();
    admin = bearer(gw.tokens.platform());
  });
  afterAll(() => gw.close(true));

  it('creates idempotently: 201, then 200 for an identical body, 409 for a different one', async () => {
    const body = { id: 'idem', tier: 'premium', dimension: 16, metric: 'euclidean' };
    const first = await gw.http.post('/v1/admin/tenants').set(admin).send(body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      id: 'idem',
      status: 'active',
      backend: 'embedded',
      strategy: 'collection',
      dimension: 16,
    });
    const again = await gw.http.post('/v1/admin/tenants').set(admin).send(body);
    expect(again.status).toBe(200);
    expect((again.body as { uid: string }).uid).toBe((first.body as { uid: string }).uid);
    const explicit = await gw.http
      .post('/v1/admin/tenants')
      .set(admin)
      .send({ ...body, backend: 'embedded', strategy: 'collection' });
    expect(explicit.status).toBe(200);
    const different = await gw.http
      .post('/v1/admin/tenants')
      .set(admin)
      .send({ ...body, dimension: 32 });
    expect(different.status).toBe(409);
  });

  it.each([
    [{ id: 'Bad_Id', dimension: 3, metric: 'cosine' }, 400, 'id'],
    [{ id: '-x', dimension: 3, metric: 'cosine' }, 400, 'id'],
    [{ id: 'ok', dimension: 0, metric: 'cosine' }, 422, 'dimension'],
    [{ id: 'ok', dimension: 4097, metric: 'cosine' }, 422, 'dimension'],
    [{ id: 'ok', dimension: 3, metric: 'manhattan' }, 400, 'metric'],
    [{ id: 'ok', dimension: 3, metric: 'cosine', tier: 'gold' }, 422, 'tier'],
    [
      { id: 'ok', dimension: 3, metric: 'cosine', backend: 'embedded', strategy: 'namespace' },
      422,
      'strategy',
    ],
    [
      { id: 'ok', dimension: 3, metric: 'cosine', backend: 'milvus', strategy: 'partition' },
      422,
      'backend',
    ],
    [{ id: 'ok', dimension: 3, metric: 'cosine', extra: 1 }, 400, 'extra'],
  ])('refuses %j with %i naming %s', async (body, status, field) => {
    const res = await gw.http.post('/v1/admin/tenants').set(admin).send(body);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status, field });
  });

  it('lists with a cursor, 100 per page by default', async () => {
    for (let i = 0; i < 5; i++) {
      await gw.http
        .post('/v1/admin/tenants')
        .set(admin)
        .send({ id: `list-${i}`, dimension: 3, metric: 'dot' });
    }
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await gw.http
        .get('/v1/admin/tenants')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(admin);
      expect(page.status).toBe(200);
      const body = page.body as { items: { id: string }[]; nextCursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((t) => t.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen.filter((id) => id.startsWith('list-'))).toEqual([
      'list-0',
      'list-1',
      'list-2',
      'list-3',
      'list-4',
    ]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('suspends (tenant tokens get 403), re-tiers to a tier without a placement rule without moving, and resumes', async () => {
    await gw.http
      .post('/v1/admin/tenants')
      .set(admin)
      .send({ id: 'sleepy', dimension: 3, metric: 'cosine' });
    const reader = bearer(gw.tokens.tenant('sleepy', ['reader']));
    const suspended = await gw.http
      .patch('/v1/admin/tenants/sleepy')
      .set(admin)
      .send({ status: 'suspended', tier: 'gold' });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({
      status: 'suspended',
      tier: 'gold',
      strategy: 'partition_key',
    });
    const refused = await refusedSearch(gw, reader, { vector: [1, 0, 0], topK: 1 }, 403);
    expect(refused.res.body).toMatchObject({ reason: 'tenant_suspended' });
    const resumed = await gw.http
      .patch('/v1/admin/tenants/sleepy')
      .set(admin)
      .send({ status: 'active' });
    expect(resumed.status).toBe(200);
    expect(
      (
        await gw.http
          .post('/v1/search')
          .set(reader)
          .send({ vector: [1, 0, 0], topK: 1 })
      ).status,
    ).toBe(200);
  });

  it('answers 404 for an id no tenant has, repeating it only when it is well formed', async () => {
    const absent = await gw.http.get('/v1/admin/tenants/nobody').set(admin);
    expect([absent.status, (absent.body as { detail: string }).detail]).toEqual([
      404,
      'tenant nobody does not exist',
    ]);
    for (const path of ['a%00b', '%E2%80%AEevil', 'BAD..', 'a%1B%5B31m']) {
      for (const method of ['get', 'delete', 'patch'] as const) {
        const res = await gw.http[method](`/v1/admin/tenants/${path}`).set(admin).send({});
        const detail = (res.body as { detail: string }).detail;
        expect([path, method, res.status]).toEqual([path, method, 404]);
        expect(detail).toMatch(/^[\x20-\x7e]+$/);
        expect(detail).not.toContain(decodeURIComponent(path));
      }
    }
  });

  it('deletes (204), then the tenant is gone and its tokens are refused', async () => {
    await gw.http
      .post('/v1/admin/tenants')
      .set(admin)
      .send({ id: 'doomed', tier: 'enterprise', dimension: 3, metric: 'cosine' });
    const token = bearer(gw.tokens.tenant('doomed', ['reader']));
    expect(await deleteTenant(gw.http, 'doomed', admin)).toBe(204);
    expect((await gw.http.get('/v1/admin/tenants/doomed').set(admin)).status).toBe(404);
    expect((await gw.http.delete('/v1/admin/tenants/doomed').set(admin)).status).toBe(404);
    const res = await gw.http
      .post('/v1/search')
      .set(token)
      .send({ vector: [1, 0, 0], topK: 1 });
    expect(res.status).toBe(401);
  });

  it('answers 403 to a tenant token on admin routes whether or not the target exists', async () => {
    await gw.http
      .post('/v1/admin/tenants')
      .set(admin)
      .send({ id: 'nosy', dimension: 3, metric: 'cosine' });
    const nosy = gw.tokens.tenant('nosy', ['tenant_admin', 'reader', 'writer']);
    const attempts: [string, string, unknown?][] = [
      ['get', '/v1/admin/tenants/idem'],
      ['get', '/v1/admin/tenants/no-such-tenant'],
      ['patch', '/v1/admin/tenants/idem', { status: 'suspended' }],
      ['delete', '/v1/admin/tenants/idem'],
      ['delete', '/v1/admin/tenants/no-such-tenant'],
      ['get', '/v1/admin/tenants'],
      ['post', '/v1/admin/tenants', { id: 'x', dimension: 3, metric: 'cosine' }],
      ['get', '/v1/admin/audit'],
      ['post', '/v1/admin/tenants/idem/search', { vector: [1, 0, 0], topK: 1 }],
    ];
    for (const [method, path, body] of attempts) {
      const requestId = newRequestId();
      let req = (gw.http as unknown as Record<string, (p: string) => import('supertest').Test>)[
        method
      ]!(path).set({
        ...bearer(nosy),
        'x-request-id': requestId,
      });
      if (body) req = req.send(body);
      const res = await req;
      expect([method, path, res.status]).toEqual([method, path, 403]);
      await expectAudited(gw, requestId, 403);
    }
    expect((await gw.http.get('/v1/admin/tenants/idem').set(admin)).body).toMatchObject({
      status: 'active',
    });
  });

  it('lets a cross_tenant_admin search inside a tenant, audited at alert level', async () => {
    const requestId = newRequestId();
    const res = await gw.http
      .post('/v1/admin/tenants/idem/search')
      .set({ ...bearer(gw.tokens.platform(['cross_tenant_admin'])), 'x-request-id': requestId })
      .send({ vector: Array.from({ length: 16 }, () => 1), topK: 3 });
    expect(res.status).toBe(200);
    const event = await expectAudited(gw, requestId, 200);
    expect(event).toMatchObject({ severity: 'alert', targetTenant: 'idem' });
    const platformAdmin = await gw.http
      .post('/v1/admin/tenants/idem/search')
      .set(admin)
      .send({ vector: Array.from({ length: 16 }, () => 1), topK: 3 });
    expect(platformAdmin.status).toBe(403);
  });
});
