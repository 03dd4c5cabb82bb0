import { BackendAdmin } from '@vecgate/isolation';
import { eventually } from '../support/eventually';
import { startGateway, TestGateway } from '../support/test-gateway';

/**
 * A backend whose health call never returns (a hung Milvus): readiness still answers, within
 * its own bound, well inside the image's 5 s health-check timeout.
 */
describe('readiness with a hung backend', () => {
  let gw: TestGateway;
  let hung = false;
  let probes = 0;

  beforeAll(async () => {
    gw = await startGateway({ env: { READINESS_TIMEOUT_MS: '300' } });
    // Fault injection on the real admin: its health call hangs from now on when asked to.
    const admin = gw.app.get(BackendAdmin);
    const real = admin.health.bind(admin);
    admin.health = () => {
      if (!hung) return real();
      probes++;
      return new Promise(() => undefined);
    };
  });
  afterAll(() => gw.close(true));

  it('answers 503 naming the hung check within READINESS_TIMEOUT_MS, and never piles up probes', async () => {
    // A loaded machine can miss the 300 ms bound now and then even when nothing hangs.
    await eventually(5000, async () => (await gw.http.get('/health/ready')).status === 200);
    hung = true;
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = await gw.http.get('/health/ready');
      timings.push(Date.now() - started);
      expect(res.status).toBe(503);
      expect(JSON.stringify(res.body)).toContain('no answer within 300 ms');
      expect(res.body).toMatchObject({ info: { registry: { status: 'up' } } });
    }
    expect(Math.max(...timings)).toBeLessThan(1500);
    // One hung probe, shared by the later calls, not one more per call.
    expect(probes).toBe(1);
    console.log(`readiness with a hung backend answered 503 in ${timings.join(', ')} ms`);
  });
});
