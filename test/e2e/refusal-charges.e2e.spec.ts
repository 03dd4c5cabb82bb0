import { expectAudited, newRequestId } from '../support/audit-trail';
import { createTenant } from '../support/fixtures';
import { expectThrottledSearch, searchAs } from '../support/requests';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/** Statuses of `n` requests sent one after another. */
async function statuses(n: number, send: () => Promise<{ status: number }>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) seen.push((await send()).status);
  return seen;
}

const search = { vector: [1, 0], topK: 1 };

describe('refused requests are charged to the tenant that sent them', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ env: { RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '10' } });
    for (const id of ['rc-flooder', 'rc-bystander'])
      await createTenant(gw.http, gw.tokens, { id, dimension: 2, metric: 'dot' });
  });
  afterAll(() => gw.close(true));

  it('turns a flood of bypass attempts (400) into 429 with Retry-After, for that tenant only', async () => {
    const flooder = bearer(gw.tokens.tenant('rc-flooder', ['reader']));
    const seen = await statuses(25, () =>
      gw.http
        .post('/v1/search')
        .set({ ...flooder, 'x-tenant-id': 'rc-bystander' })
        .send(search),
    );
    expect(seen.slice(0, 10)).toEqual(Array<number>(10).fill(400));
    expect(seen.slice(12)).toEqual(Array<number>(13).fill(429));

    const { event } = await expectThrottledSearch(gw, flooder, search);
    expect(event.tenantId).toBe('rc-flooder');

    // The negative twin: the tenant the attempts named is served as before.
    expect((await searchAs(gw, 'rc-bystander', search)).status).toBe(200);
  });

  it('charges refusals given before the tenant is resolved (403 role, 404 route) to that tenant', async () => {
    await createTenant(gw.http, gw.tokens, { id: 'rc-prober', dimension: 2, metric: 'dot' });
    const prober = bearer(gw.tokens.tenant('rc-prober', ['reader']));
    const refused = await statuses(12, () =>
      gw.http.get(`/v1/admin/tenants/rc-bystander`).set(prober),
    );
    expect(new Set(refused)).toEqual(new Set([403]));
    const lost = await statuses(2, () => gw.http.get('/v1/no-such-route').set(prober));
    expect(lost).toEqual([404, 404]);
    const own = await gw.http.post('/v1/search').set(prober).send(search);
    expect(own.status).toBe(429);
    expect((await searchAs(gw, 'rc-bystander', search)).status).toBe(200);
  });
});

describe('refused requests without a valid token are charged to the client address', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({
      env: { UNAUTH_RATE_LIMIT_RPS: '1', UNAUTH_RATE_LIMIT_BURST: '10', TRUST_PROXY: 'true' },
    });
    await createTenant(gw.http, gw.tokens, { id: 'rc-natted', dimension: 2, metric: 'dot' });
  });
  afterAll(() => gw.close(true));

  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('answers 429 with Retry-After to an address past its budget, and audits it', async () => {
    const bad = { ...from('203.0.113.7'), authorization: 'Bearer not-a-token' };
    const seen = await statuses(20, () => gw.http.post('/v1/search').set(bad).send(search));
    expect(seen.slice(0, 10)).toEqual(Array<number>(10).fill(401));
    expect(seen.slice(12)).toEqual(Array<number>(8).fill(429));

    const requestId = newRequestId();
    const res = await gw.http
      .get('/v1/stats')
      .set({ ...from('203.0.113.7'), 'x-request-id': requestId });
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Sampled like every unauthenticated refusal: stored one by one within the sample rate.
    expect((await expectAudited(gw, requestId, 429)).subject).toBeUndefined();
  });

  it('still serves a valid token from that address, and another address is unaffected', async () => {
    const token = bearer(gw.tokens.tenant('rc-natted', ['reader']));
    const served = await gw.http
      .post('/v1/search')
      .set({ ...token, ...from('203.0.113.7') })
      .send(search);
    expect(served.status).toBe(200);
    const other = await gw.http.get('/v1/stats').set(from('198.51.100.9'));
    expect(other.status).toBe(401);
  });

  it('counts an IPv6 /64 as one address', async () => {
    const seen = await statuses(14, (i = Math.random()) =>
      gw.http.get('/v1/stats').set(from(`2001:db8:1:2:${Math.floor(i * 0xffff).toString(16)}::1`)),
    );
    expect(seen.slice(12)).toEqual([429, 429]);
    expect((await gw.http.get('/v1/stats').set(from('2001:db8:1:3::1'))).status).toBe(401);
  });

  it('charges unroutable requests to the address as well', async () => {
    const seen = await statuses(14, () =>
      gw.http.get('/v1/vectors/%E0%A4%A').set(from('192.0.2.44')),
    );
    expect(seen.slice(0, 10)).toEqual(Array<number>(10).fill(400));
    expect(seen.slice(12)).toEqual([429, 429]);
  });

  it('charges a token of a tenant that no longer exists to its address, not to the tenant', async () => {
    const ghost = bearer(gw.tokens.tenant('rc-ghost', ['reader']));
    const seen = await statuses(14, () =>
      gw.http
        .post('/v1/search')
        .set({ ...ghost, ...from('192.0.2.99') })
        .send(search),
    );
    expect(seen.slice(0, 10)).toEqual(Array<number>(10).fill(401));
    expect(seen.slice(12)).toEqual([429, 429]);
  });
});
