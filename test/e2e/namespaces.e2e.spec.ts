import { TenantRegistryRepository } from '@vecgate/tenancy';
import { auditOf, newRequestId } from '../support/audit-trail';
import { createTenant, startWithTenants } from '../support/fixtures';
import { deleteTenant } from '../support/tenant-deletion';
import type { TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/**
 * Namespaces inside a tenant on the embedded backend: `acme` and `globex` share one table
 * (partition_key), `solo` has its own file (database); `small` tenants may hold 2 named
 * namespaces and 4 vectors in all.
 */
describe('namespaces', () => {
  let gw: TestGateway;
  const as = (tenant: string, ...roles: string[]): Record<string, string> =>
    bearer(gw.tokens.tenant(tenant, roles.length > 0 ? roles : ['reader', 'writer']));
  const put = (tenant: string, body: object, requestId = newRequestId()) =>
    gw.http
      .put('/v1/vectors')
      .set({ ...as(tenant), 'x-request-id': requestId })
      .send(body);
  const fetchIn = (tenant: string, id: string, namespace?: string) =>
    gw.http
      .get(`/v1/vectors/${id}`)
      .query(namespace === undefined ? {} : { namespace })
      .set(as(tenant));
  const searchIn = (tenant: string, namespace?: string, vector = [1, 0, 0]) =>
    gw.http
      .post('/v1/search')
      .set(as(tenant))
      .send({ vector, topK: 10, includeMetadata: true, includeValues: true, namespace });
  const list = async (tenant: string) => {
    const res = await gw.http.get('/v1/namespaces').set(as(tenant, 'reader'));
    expect(res.status).toBe(200);
    return (res.body as { items: { name: string; vectors: number; createdAt: string }[] }).items;
  };
  const ids = (res: { body: { matches: { id: string }[] } }) =>
    res.body.matches.map((m) => m.id).sort();

  beforeAll(async () => {
    gw = await startWithTenants(
      {
        TIER_QUOTAS: 'small:vectors=4,namespaces=2;default:vectors=unlimited',
        PLACEMENT_POLICY:
          'standard=embedded:partition_key,small=embedded:partition_key,enterprise=embedded:database',
      },
      [
        ['acme', 'standard'],
        ['globex', 'standard'],
        ['solo', 'enterprise'],
        ['tiny', 'small'],
      ],
    );
  });
  afterAll(() => gw.close(true));

  describe.each(['acme', 'solo'])('in a tenant (%s)', (tenant) => {
    beforeAll(async () => {
      for (const [namespace, values, tag] of [
        [undefined, [1, 0, 0], 'default'],
        ['red', [0, 1, 0], 'red'],
        ['blue', [0, 0, 1], 'blue'],
      ] as const) {
        const res = await put(tenant, {
          namespace,
          vectors: [
            { id: 'same', values, metadata: { tag } },
            { id: `only-${tag}`, values: [1, 1, 1], metadata: { tag } },
          ],
        });
        expect(res.status).toBe(200);
      }
    });

    it('keeps the same id in two namespaces with different values', async () => {
      const red = await fetchIn(tenant, 'same', 'red');
      const blue = await fetchIn(tenant, 'same', 'blue');
      const plain = await fetchIn(tenant, 'same');
      expect([red.status, blue.status, plain.status]).toEqual([200, 200, 200]);
      expect(red.body).toEqual({ id: 'same', values: [0, 1, 0], metadata: { tag: 'red' } });
      expect(blue.body).toEqual({ id: 'same', values: [0, 0, 1], metadata: { tag: 'blue' } });
      expect(plain.body).toEqual({ id: 'same', values: [1, 0, 0], metadata: { tag: 'default' } });
    });

    it('searches inside one namespace only', async () => {
      const red = await searchIn(tenant, 'red');
      expect(red.status).toBe(200);
      expect(ids(red)).toEqual(['only-red', 'same']);
      expect(
        red.body.matches.every((m: { metadata: { tag: string } }) => m.metadata.tag === 'red'),
      ).toBe(true);
      expect(ids(await searchIn(tenant))).toEqual(['only-default', 'same']);
    });

    it('does not find a record of another namespace by id', async () => {
      expect((await fetchIn(tenant, 'only-red', 'blue')).status).toBe(404);
      expect((await fetchIn(tenant, 'only-red')).status).toBe(404);
      expect((await fetchIn(tenant, 'only-red', 'red')).status).toBe(200);
    });

    it('treats "", "__default__" and no namespace as the same default namespace', async () => {
      const viaAlias = await put(tenant, {
        namespace: '__default__',
        vectors: [{ id: 'alias', values: [1, 0, 1] }],
      });
      expect(viaAlias.status).toBe(200);
      for (const ns of [undefined, '', '__default__']) {
        expect((await fetchIn(tenant, 'alias', ns)).status).toBe(200);
        expect(ids(await searchIn(tenant, ns))).toContain('alias');
      }
      const del = await gw.http
        .post('/v1/vectors/delete')
        .set(as(tenant))
        .send({ ids: ['alias'], namespace: '' });
      expect(del.body).toEqual({ deleted: 1 });
      expect((await list(tenant)).map((n) => n.name)).not.toContain('__default__');
    });

    it('orders a deletion and a write racing it: one goes first, none is a server fault', async () => {
      const vectors = Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, values: [1, i, 0] }));
      for (let round = 0; round < 10; round++) {
        const namespace = `race${round}`;
        expect((await put(tenant, { namespace, vectors })).status).toBe(200);
        const [written, deleted] = await Promise.all([
          put(tenant, { namespace, vectors }),
          gw.http.delete(`/v1/namespaces/${namespace}`).set(as(tenant)),
        ]);
        expect(written.status).toBe(200);
        expect(deleted.status).toBe(204);
        // Either the write came first and went with the namespace, or it came after and made
        // the namespace anew: never records in a namespace the tenant does not have.
        const listed = (await list(tenant)).find((n) => n.name === namespace);
        const found = await searchIn(tenant, namespace);
        expect(found.status).toBe(200);
        const held = (found.body as { matches: unknown[] }).matches.length;
        if (listed) expect([listed.vectors, held]).toEqual([50, 10]);
        else expect(held).toBe(0);
        await gw.http.delete(`/v1/namespaces/${namespace}`).set(as(tenant));
      }
    });

    it('deletes by id and deletes everything inside one namespace only', async () => {
      await put(tenant, { namespace: 'tmp', vectors: [{ id: 'same', values: [1, 1, 0] }] });
      const byId = await gw.http
        .post('/v1/vectors/delete')
        .set(as(tenant))
        .send({ ids: ['same'], namespace: 'tmp' });
      expect(byId.body).toEqual({ deleted: 1 });
      expect((await fetchIn(tenant, 'same', 'red')).status).toBe(200);
      expect((await fetchIn(tenant, 'same')).status).toBe(200);
      await put(tenant, { namespace: 'tmp', vectors: [{ id: 'x', values: [1, 1, 0] }] });
      const all = await gw.http
        .post('/v1/vectors/delete')
        .set(as(tenant))
        .send({ deleteAll: true, namespace: 'tmp' });
      expect(all.body).toEqual({ deleted: 1 });
      expect(ids(await searchIn(tenant, 'red'))).toEqual(['only-red', 'same']);
      expect(ids(await searchIn(tenant))).toEqual(['only-default', 'same']);
    });

    it('lists its namespaces with counts, default first, and reports them in stats', async () => {
      const items = await list(tenant);
      expect(items.map((n) => [n.name, n.vectors])).toEqual([
        ['', 2],
        ['blue', 2],
        ['red', 2],
        ['tmp', 0],
      ]);
      for (const n of items) expect(Date.parse(n.createdAt)).toBeGreaterThan(0);
      const stats = await gw.http.get('/v1/stats').set(as(tenant, 'tenant_admin'));
      expect(stats.status).toBe(200);
      expect(stats.body.vectorCount).toBe(6);
      expect(stats.body.quota.vectors.used).toBe(6);
      expect(stats.body.namespaces).toEqual([
        { name: '', vectors: 2 },
        { name: 'blue', vectors: 2 },
        { name: 'red', vectors: 2 },
        { name: 'tmp', vectors: 0 },
      ]);
    });

    it('erases one namespace (204) and leaves the others whole', async () => {
      const res = await gw.http.delete('/v1/namespaces/red').set(as(tenant, 'writer'));
      expect(res.status).toBe(204);
      expect((await list(tenant)).map((n) => n.name)).toEqual(['', 'blue', 'tmp']);
      expect((await fetchIn(tenant, 'same', 'red')).status).toBe(404);
      expect((await searchIn(tenant, 'red')).body.matches).toEqual([]);
      expect((await fetchIn(tenant, 'same', 'blue')).body.metadata).toEqual({ tag: 'blue' });
      expect((await fetchIn(tenant, 'same')).body.metadata).toEqual({ tag: 'default' });
      const again = await gw.http.delete('/v1/namespaces/red').set(as(tenant, 'writer'));
      expect(again.status).toBe(404);
    });
  });

  describe('created empty', () => {
    it('creates a namespace without records (201), then finds it (200), and lists it', async () => {
      const first = await gw.http.put('/v1/namespaces/empty.one').set(as('globex', 'writer'));
      expect(first.status).toBe(201);
      expect(first.body.name).toBe('empty.one');
      const second = await gw.http.put('/v1/namespaces/empty.one').set(as('globex', 'writer'));
      expect(second.status).toBe(200);
      expect(second.body.createdAt).toBe(first.body.createdAt);
      expect(await list('globex')).toEqual([
        expect.objectContaining({ name: '', vectors: 0 }),
        expect.objectContaining({ name: 'empty.one', vectors: 0 }),
      ]);
      const def = await gw.http.put('/v1/namespaces/__default__').set(as('globex', 'writer'));
      expect(def.status).toBe(200);
      expect(def.body.name).toBe('');
    });

    it('needs the writer role to create or erase, the reader role to list', async () => {
      const reader = as('globex', 'reader');
      expect((await gw.http.put('/v1/namespaces/nope').set(reader)).status).toBe(403);
      expect((await gw.http.delete('/v1/namespaces/empty.one').set(reader)).status).toBe(403);
      expect((await gw.http.get('/v1/namespaces').set(as('globex', 'writer'))).status).toBe(403);
      expect((await list('globex')).map((n) => n.name)).toEqual(['', 'empty.one']);
    });

    it('empties the default namespace on DELETE, which stays listed', async () => {
      await put('globex', { vectors: [{ id: 'd1', values: [1, 0, 0] }] });
      const res = await gw.http.delete('/v1/namespaces/__default__').set(as('globex', 'writer'));
      expect(res.status).toBe(204);
      expect((await fetchIn('globex', 'd1')).status).toBe(404);
      expect((await list('globex'))[0]).toMatchObject({ name: '', vectors: 0 });
    });

    it('answers 404 for erasing a namespace the tenant does not have', async () => {
      const res = await gw.http.delete('/v1/namespaces/never').set(as('globex', 'writer'));
      expect(res.status).toBe(404);
      expect(res.body.detail).toContain('never');
    });
  });

  describe('across tenants', () => {
    it('never reaches another tenant’s namespace of the same name', async () => {
      await put('acme', { namespace: 'shared', vectors: [{ id: 'secret', values: [1, 0, 0] }] });
      await put('globex', { namespace: 'shared', vectors: [{ id: 'mine', values: [1, 0, 0] }] });
      expect((await fetchIn('globex', 'secret', 'shared')).status).toBe(404);
      expect(ids(await searchIn('globex', 'shared'))).toEqual(['mine']);
      const del = await gw.http
        .post('/v1/vectors/delete')
        .set(as('globex'))
        .send({ deleteAll: true, namespace: 'shared' });
      expect(del.body).toEqual({ deleted: 1 });
      expect((await fetchIn('acme', 'secret', 'shared')).status).toBe(200);
      const erase = await gw.http.delete('/v1/namespaces/shared').set(as('globex', 'writer'));
      expect(erase.status).toBe(204);
      expect((await fetchIn('acme', 'secret', 'shared')).status).toBe(200);
      expect((await list('acme')).map((n) => n.name)).toContain('shared');
    });

    it('lists only the caller’s own namespaces', async () => {
      await put('acme', { namespace: 'acme-only', vectors: [{ id: 'a', values: [1, 0, 0] }] });
      expect((await list('globex')).map((n) => n.name)).not.toContain('acme-only');
      const other = await gw.http.delete('/v1/namespaces/acme-only').set(as('globex', 'writer'));
      expect(other.status).toBe(404);
      expect((await fetchIn('acme', 'a', 'acme-only')).status).toBe(200);
    });

    it('lets a cross-tenant admin search inside one namespace of a tenant, audited with it', async () => {
      const requestId = newRequestId();
      const res = await gw.http
        .post('/v1/admin/tenants/acme/search')
        .set({ ...bearer(gw.tokens.platform(['cross_tenant_admin'])), 'x-request-id': requestId })
        .send({ vector: [1, 0, 0], topK: 10, namespace: 'shared' });
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual(['secret']);
      const [event] = await auditOf(gw, requestId);
      expect(event).toMatchObject({
        resource: 'POST /v1/admin/tenants/:id/search?namespace=shared',
        severity: 'alert',
      });
      const bad = await gw.http
        .post('/v1/admin/tenants/acme/search')
        .set(bearer(gw.tokens.platform(['cross_tenant_admin'])))
        .send({ vector: [1, 0, 0], topK: 10, namespace: '_x' });
      expect(bad.status).toBe(400);
    });

    it('reaches nothing through a namespace named like another tenant’s id or uid', async () => {
      const acme = await gw.http.get('/v1/admin/tenants/acme').set(bearer(gw.tokens.platform()));
      for (const name of ['acme', acme.body.uid as string]) {
        expect((await fetchIn('globex', 'secret', name)).status).toBe(404);
        expect((await fetchIn('globex', 'same', name)).status).toBe(404);
        expect((await searchIn('globex', name)).body.matches).toEqual([]);
      }
    });
  });

  describe('the name rule', () => {
    it.each([
      ['_private', 'reserved'],
      ['_vg_uid', 'reserved'],
      ['-x', '1 to 64 letters'],
      ['a'.repeat(65), '1 to 64 letters'],
      ['a/b', '1 to 64 letters'],
    ])('refuses %s in a body, a query and a path with 400 (%s)', async (name, message) => {
      const requestId = newRequestId();
      const write = await put(
        'acme',
        { namespace: name, vectors: [{ id: 'z', values: [1, 0, 0] }] },
        requestId,
      );
      expect(write.status).toBe(400);
      expect(write.body.detail).toContain(message);
      expect(write.body.field).toBe('namespace');
      const events = await auditOf(gw, requestId);
      expect(events.map((e) => [e.status, e.action])).toEqual([[400, 'vectors.upsert']]);
      const fetch = await fetchIn('acme', 'same', name);
      expect(fetch.status).toBe(400);
      expect(fetch.body.detail).toContain(message);
      const search = await searchIn('acme', name);
      expect(search.status).toBe(400);
      if (!name.includes('/')) {
        const create = await gw.http.put(`/v1/namespaces/${name}`).set(as('acme', 'writer'));
        expect(create.status).toBe(400);
        expect(create.body.field).toBe('name');
      }
      expect((await list('acme')).map((n) => n.name)).not.toContain(name);
    });

    it('refuses a namespace that is not a string', async () => {
      const res = await put('acme', { namespace: 7, vectors: [{ id: 'z', values: [1, 0, 0] }] });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ field: 'namespace', detail: 'must be a string' });
      const twice = await gw.http.get('/v1/vectors/same?namespace=a&namespace=b').set(as('acme'));
      expect(twice.status).toBe(400);
    });

    it('records the namespace of a call in its audit event', async () => {
      const requestId = newRequestId();
      await put(
        'acme',
        { namespace: 'blue', vectors: [{ id: 'n', values: [1, 0, 0] }] },
        requestId,
      );
      const [event] = await auditOf(gw, requestId);
      expect(event).toMatchObject({ status: 200, resource: 'PUT /v1/vectors?namespace=blue' });
      const plain = newRequestId();
      await put('acme', { vectors: [{ id: 'n', values: [1, 0, 0] }] }, plain);
      expect((await auditOf(gw, plain))[0]).toMatchObject({ resource: 'PUT /v1/vectors' });
    });
  });

  describe('caps', () => {
    it('refuses a namespace past the tier’s cap with 403 quota:namespaces, writing nothing', async () => {
      expect((await gw.http.put('/v1/namespaces/one').set(as('tiny', 'writer'))).status).toBe(201);
      expect(
        (await put('tiny', { namespace: 'two', vectors: [{ id: 'a', values: [1, 0, 0] }] })).status,
      ).toBe(200);
      const third = await gw.http.put('/v1/namespaces/three').set(as('tiny', 'writer'));
      expect(third.status).toBe(403);
      expect(third.body.reason).toBe('quota:namespaces');
      const requestId = newRequestId();
      const write = await put(
        'tiny',
        { namespace: 'four', vectors: [{ id: 'b', values: [1, 0, 0] }] },
        requestId,
      );
      expect(write.status).toBe(403);
      expect(write.body.reason).toBe('quota:namespaces');
      expect((await auditOf(gw, requestId))[0]?.reason).toMatch(/^quota:namespaces/);
      expect((await fetchIn('tiny', 'b', 'four')).status).toBe(404);
      // The default namespace is not counted, and existing namespaces take writes.
      expect((await put('tiny', { vectors: [{ id: 'c', values: [1, 0, 0] }] })).status).toBe(200);
      expect(
        (await put('tiny', { namespace: 'one', vectors: [{ id: 'c', values: [1, 0, 0] }] })).status,
      ).toBe(200);
      expect((await gw.http.delete('/v1/namespaces/one').set(as('tiny', 'writer'))).status).toBe(
        204,
      );
      expect((await gw.http.put('/v1/namespaces/three').set(as('tiny', 'writer'))).status).toBe(
        201,
      );
    });

    it('counts the storage quota over every namespace of the tenant', async () => {
      // tiny holds a (two), c (default): 2 of 4; two more fit, a fifth does not.
      expect(
        (
          await put('tiny', {
            namespace: 'three',
            vectors: [
              { id: 'a', values: [0, 1, 0] },
              { id: 'b', values: [0, 1, 0] },
            ],
          })
        ).status,
      ).toBe(200);
      const over = await put('tiny', {
        namespace: 'two',
        vectors: [{ id: 'z', values: [1, 0, 0] }],
      });
      expect(over.status).toBe(403);
      expect(over.body.reason).toBe('quota:vectors');
      const stats = await gw.http.get('/v1/stats').set(as('tiny', 'tenant_admin'));
      expect(stats.body.quota.vectors).toEqual({ used: 4, limit: 4 });
      // A write refused for its size registers no namespace either.
      const full = await gw.http.delete('/v1/namespaces/two').set(as('tiny', 'writer'));
      expect(full.status).toBe(204);
      const refused = await put('tiny', {
        namespace: 'fresh',
        vectors: [
          { id: 'p', values: [1, 0, 0] },
          { id: 'q', values: [1, 0, 0] },
        ],
      });
      expect(refused.body.reason).toBe('quota:vectors');
      expect((await list('tiny')).map((n) => n.name)).toEqual(['', 'three']);
    });
  });

  it('forgets a deleted tenant’s namespaces', async () => {
    await createTenant(gw.http, gw.tokens, { id: 'gone', dimension: 3, metric: 'cosine' });
    await put('gone', { namespace: 'kept', vectors: [{ id: 'a', values: [1, 0, 0] }] });
    const admin = bearer(gw.tokens.platform());
    const uid = (await gw.http.get('/v1/admin/tenants/gone').set(admin)).body.uid as string;
    const rows = gw.app.get(TenantRegistryRepository).namespaces;
    expect((await rows.list(uid)).map((e) => e.name)).toEqual(['kept']);
    expect(await deleteTenant(gw.http, 'gone', admin)).toBe(204);
    expect(await rows.list(uid)).toEqual([]);
  });
});
