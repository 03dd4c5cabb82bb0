import { auditOf, newRequestId } from '../support/audit-trail';
import { createTenant, createTenantOn, startWithTenants } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/**
 * Storage quotas per tier: `small` tenants may store 3 vectors, `tight` tenants 100 bytes
 * (dimension 4: 16 bytes of floats per record plus its metadata JSON), other tiers are free.
 */
describe('storage quotas', () => {
  let gw: TestGateway;
  const as = (tenant: string, role: string): Record<string, string> =>
    bearer(gw.tokens.tenant(tenant, [role]));
  const put = (tenant: string, vectors: object[], requestId = newRequestId()) =>
    gw.http
      .put('/v1/vectors')
      .set({ ...as(tenant, 'writer'), 'x-request-id': requestId })
      .send({ vectors });
  const rec = (id: string, metadata?: object) => ({ id, values: [1, 0, 0, 0.5], metadata });
  const stats = async (tenant: string) => {
    const res = await gw.http.get('/v1/stats').set(as(tenant, 'tenant_admin'));
    expect(res.status).toBe(200);
    return res.body as {
      vectorCount: number;
      quota: Record<string, { used: number; limit: number | null }>;
    };
  };

  beforeAll(async () => {
    gw = await startWithTenants(
      {
        TIER_QUOTAS: 'small:vectors=3;tight:bytes=100;default:vectors=unlimited',
        PLACEMENT_POLICY:
          'small=embedded:partition_key,tight=embedded:partition_key,standard=embedded:partition_key',
      },
      [
        ['full', 'small'],
        ['twin', 'small'],
        ['free', 'standard'],
        ['bytes', 'tight'],
      ],
      4,
    );
  });
  afterAll(() => gw.close(true));

  it('refuses a write past the vector quota whole, with 403 quota:vectors, and audits it', async () => {
    expect((await put('full', [rec('a'), rec('b')])).status).toBe(200);
    const id = newRequestId();
    const res = await put('full', [rec('c'), rec('d')], id);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      status: 403,
      reason: 'quota:vectors',
      title: 'Quota Exceeded',
    });
    expect(res.body.detail).toContain('quota is 3');
    // Nothing of the refused batch was written, not even the record that would have fitted.
    const c = await gw.http.get('/v1/vectors/c').set(as('full', 'reader'));
    expect(c.status).toBe(404);
    const events = await auditOf(gw, id);
    expect(events.map((e) => [e.status, e.outcome])).toEqual([[403, 'denied']]);
    expect(events[0]?.reason).toMatch(/^quota:vectors/);
  });

  it('lets overwrites and the last free slot through, and deletes free room', async () => {
    expect((await put('full', [rec('a', { v: 2 }), rec('b'), rec('c')])).status).toBe(200);
    expect((await put('full', [rec('d')])).status).toBe(403);
    const del = await gw.http
      .post('/v1/vectors/delete')
      .set(as('full', 'writer'))
      .send({ ids: ['a', 'missing'] });
    expect(del.body).toEqual({ deleted: 1 });
    expect((await put('full', [rec('d')])).status).toBe(200);
    const s = await stats('full');
    expect(s.vectorCount).toBe(3);
    expect(s.quota.vectors).toEqual({ used: 3, limit: 3 });
  });

  it('counts usage per tenant: a full neighbour of the same tier does not limit another', async () => {
    const res = await put('twin', [rec('a'), rec('b'), rec('c')]);
    expect(res.status).toBe(200);
    expect((await stats('twin')).quota.vectors).toEqual({ used: 3, limit: 3 });
    expect((await stats('free')).quota.vectors).toEqual({ used: 0, limit: null });
  });

  it('applies the default quota to a tier without its own', async () => {
    const many = Array.from({ length: 20 }, (_, i) => rec(`r${i}`));
    expect((await put('free', many)).status).toBe(200);
    expect((await stats('free')).quota.vectors).toEqual({ used: 20, limit: null });
  });

  it('refuses a write past the byte quota with 403 quota:bytes and shows bytes in stats', async () => {
    // 16 bytes of floats + {"n":"xx"} (10 bytes) = 26 bytes per record.
    expect((await put('bytes', [rec('a', { n: 'xx' }), rec('b', { n: 'xx' })])).status).toBe(200);
    expect((await stats('bytes')).quota.bytes).toEqual({ used: 52, limit: 100 });
    const big = await put('bytes', [rec('c', { n: 'x'.repeat(60) })]);
    expect(big.status).toBe(403);
    expect(big.body.reason).toBe('quota:bytes');
    // Shrinking a record's metadata frees bytes.
    expect((await put('bytes', [rec('a')])).status).toBe(200);
    expect((await stats('bytes')).quota.bytes).toEqual({ used: 42, limit: 100 });
  });

  it('recounts usage from the backend after a delete by filter', async () => {
    const del = await gw.http
      .post('/v1/vectors/delete')
      .set(as('twin', 'writer'))
      .send({ deleteAll: true });
    expect(del.body).toEqual({ deleted: 3 });
    expect((await put('twin', [rec('x'), rec('y'), rec('z')])).status).toBe(200);
    expect((await put('twin', [rec('w')])).status).toBe(403);
  });
});

describe('storage quotas after a restart', () => {
  it('reads usage back from the backend, so a full tenant stays full', async () => {
    const env = { TIER_QUOTAS: 'default:vectors=2' };
    let gw = await startGateway({ env });
    await createTenant(gw.http, gw.tokens, { id: 'kept', dimension: 2, metric: 'euclidean' });
    const writer = bearer(gw.tokens.tenant('kept', ['writer']));
    const vectors = [
      { id: 'a', values: [1, 2] },
      { id: 'b', values: [3, 4] },
    ];
    expect((await gw.http.put('/v1/vectors').set(writer).send({ vectors })).status).toBe(200);
    await gw.close();
    gw = await startGateway({ env, dataDir: gw.dataDir });
    try {
      const again = await gw.http
        .put('/v1/vectors')
        .set(bearer(gw.tokens.tenant('kept', ['writer'])))
        .send({ vectors: [{ id: 'c', values: [5, 6] }] });
      expect(again.status).toBe(403);
      expect(again.body.reason).toBe('quota:vectors');
    } finally {
      await gw.close(true);
    }
  });
});

/**
 * A delete by filter makes its namespace's usage be read again from the backend. Writes in
 * flight meanwhile (room reserved, records not yet stored) must not fall out of that count, or
 * the tenant could store past its quota: rounds of writers racing deletes by filter, then a fill
 * to the limit, never hold more than the quota.
 */
describe('storage quota under deletes by filter racing writes', () => {
  const QUOTA = 600;
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({
      env: {
        TIER_QUOTAS: `race:vectors=${QUOTA};default:vectors=unlimited`,
        PLACEMENT_POLICY: 'race=embedded:partition_key,standard=embedded:partition_key',
      },
    });
  });
  afterAll(() => gw.close(true));

  it('never stores more than the quota', async () => {
    const values = (i: number) => [1, (i % 7) + 1, i % 3];
    for (let round = 0; round < 8; round++) {
      const tenant = `race${round}`;
      await createTenantOn(gw, tenant, { tier: 'race' });
      const auth = bearer(gw.tokens.tenant(tenant, ['reader', 'writer', 'tenant_admin']));
      // Records of group x are what the deletes remove; a third of the first load is in it.
      const put = (namespace: string, prefix: string, n: number, grp = (_i: number) => 'x') =>
        gw.http
          .put('/v1/vectors')
          .set(auth)
          .send({
            namespace,
            vectors: Array.from({ length: n }, (_, i) => ({
              id: `${prefix}${i}`,
              values: values(i),
              metadata: { grp: grp(i) },
            })),
          });
      expect((await put('a', 'p', 540, (i) => (i % 3 === 0 ? 'x' : 'y'))).status).toBe(200);
      expect((await put('b', 'q', 54)).status).toBe(200);
      let stop = false;
      const writer = async (w: number) => {
        for (let k = 0; !stop; k++) {
          const res = await put(w % 2 ? 'a' : 'b', `w${w}_${k}_`, 7);
          expect([200, 403]).toContain(res.status);
        }
      };
      const writers = Array.from({ length: 8 }, (_, w) => writer(w));
      for (const namespace of ['a', 'b', 'a']) {
        await new Promise((r) => setTimeout(r, 30 + ((round * 13) % 40)));
        const deleted = await gw.http
          .post('/v1/vectors/delete')
          .set(auth)
          .send({ namespace, filter: { grp: 'x' } });
        expect(deleted.status).toBe(200);
      }
      stop = true;
      await Promise.all(writers);
      for (let i = 0; (await put('b', `fill${i}_`, 5)).status === 200; i++);
      const stats = await gw.http.get('/v1/stats').set(auth);
      expect(stats.body.vectorCount).toBeLessThanOrEqual(QUOTA);
    }
  });
});
