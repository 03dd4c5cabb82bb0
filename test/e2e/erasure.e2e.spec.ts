import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BackendDrivers, EmbeddedBackend } from '@vecgate/isolation';
import { TenantRegistry } from '@vecgate/tenancy';
import { createTenantOn } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';
import { deleteTenant } from '../support/tenant-deletion';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Files of the data directory whose raw bytes contain the marker. */
function filesContaining(dir: string, marker: string): string[] {
  const needle = Buffer.from(marker, 'utf8');
  return filesUnder(dir).filter((file) => readFileSync(file).includes(needle));
}

describe('tenant deletion erases every byte of the tenant', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close(true));

  it.each([
    ['database', 'enterprise'],
    ['collection', 'premium'],
    ['partition_key', 'standard'],
  ])(
    'on %s: the marker is in no file of the data directory and no cache holds the tenant',
    async (_s, tier) => {
      const marker = `MARKER${randomUUID().replace(/-/g, '')}`;
      const id = `erase-${tier}`;
      const space = { tier, dimension: 8, metric: 'dot' };
      const tenant = await createTenantOn(gw, id, space);
      // A neighbour in the same shared places keeps them alive after the erasure.
      await createTenantOn(gw, `${id}-neighbour`, space);
      const neighbour = gw.tokens.tenant(`${id}-neighbour`, ['reader', 'writer']);
      await gw.http
        .put('/v1/vectors')
        .set(bearer(neighbour))
        .send({
          vectors: [
            { id: 'n1', values: [1, 2, 3, 4, 5, 6, 7, 8], metadata: { note: 'neighbour' } },
          ],
        });

      const writer = gw.tokens.tenant(id, ['reader', 'writer']);
      const vectors = Array.from({ length: 200 }, (_, i) => ({
        id: `${marker}-${i}`,
        values: Array.from({ length: 8 }, (_, j) => i + j),
        metadata: { text: `${marker} record ${i}`, [marker]: true, tags: [marker] },
      }));
      for (let i = 0; i < vectors.length; i += 50) {
        const res = await gw.http
          .put('/v1/vectors')
          .set(bearer(writer))
          .send({ vectors: vectors.slice(i, i + 50) });
        expect(res.status).toBe(200);
      }
      const search = await gw.http
        .post('/v1/search')
        .set(bearer(writer))
        .send({ vector: [1, 1, 1, 1, 1, 1, 1, 1], topK: 5, includeMetadata: true });
      expect(JSON.stringify(search.body)).toContain(marker);
      const embedded = gw.app.get(BackendDrivers).get('embedded') as EmbeddedBackend;
      expect(await embedded.isCached(tenant.uid as string)).toBe(true);
      expect(filesContaining(gw.dataDir, marker).length).toBeGreaterThan(0);

      expect(await deleteTenant(gw.http, id, bearer(gw.tokens.platform()))).toBe(204);

      expect(filesContaining(gw.dataDir, marker)).toEqual([]);
      expect(await embedded.isCached(tenant.uid as string)).toBe(false);
      expect(await gw.app.get(TenantRegistry).get(id)).toBeUndefined();

      const gone = await gw.http.get(`/v1/admin/tenants/${id}`).set(bearer(gw.tokens.platform()));
      expect(gone.status).toBe(404);
      const neighbourStill = await gw.http.get('/v1/vectors/n1').set(bearer(neighbour));
      expect(neighbourStill.status).toBe(200);
    },
  );

  it('a tenant re-created under the same id gets a new uid, starts empty, and old tokens are refused', async () => {
    const first = await createTenantOn(gw, 'phoenix');
    const before = gw.tokens.tenant('phoenix', ['reader', 'writer'], {
      iat: Math.floor(Date.now() / 1000) - 5,
    });
    const mint = await gw.http
      .post('/v1/admin/tenants/phoenix/tokens')
      .set(bearer(gw.tokens.platform()))
      .send({ subject: 'svc', roles: ['reader', 'writer'], ttlSeconds: 600 });
    const mintedBefore = (mint.body as { token: string }).token;
    await gw.http
      .put('/v1/vectors')
      .set(bearer(before))
      .send({ vectors: [{ id: 'a', values: [1, 2, 3] }] });

    expect(await deleteTenant(gw.http, 'phoenix', bearer(gw.tokens.platform()))).toBe(204);
    const second = await createTenantOn(gw, 'phoenix');
    expect(second.uid).not.toBe(first.uid);

    for (const stale of [before, mintedBefore]) {
      const res = await gw.http.get('/v1/vectors/a').set(bearer(stale));
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ reason: 'token_superseded' });
    }
    await new Promise((r) => setTimeout(r, 1100));
    const fresh = gw.tokens.tenant('phoenix', ['reader', 'tenant_admin'], {
      iat: Math.floor(Date.now() / 1000),
    });
    const stats = await gw.http.get('/v1/stats').set(bearer(fresh));
    expect(stats.body).toMatchObject({ vectorCount: 0 });
    expect((await gw.http.get('/v1/vectors/a').set(bearer(fresh))).status).toBe(404);
  });
});
