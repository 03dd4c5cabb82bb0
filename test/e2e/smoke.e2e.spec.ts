import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

describe('smoke', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close(true));

  it('serves readiness and creates a tenant', async () => {
    const ready = await gw.http.get('/health/ready');
    expect(ready.status).toBe(200);
    const created = await gw.http
      .post('/v1/admin/tenants')
      .set(bearer(gw.tokens.platform()))
      .send({ id: 'acme', dimension: 3, metric: 'cosine' });
    expect(created.status).toBe(201);
  });
});
