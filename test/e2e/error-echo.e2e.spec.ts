import { startWithTwoTenants } from '../support/fixtures';
import { TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/**
 * An error names the caller's field at fault, but a field of megabytes is not echoed whole:
 * the answer (and the audit log line) would be larger than the request that caused it.
 */
describe('errors naming a huge caller-chosen key', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startWithTwoTenants();
  });
  afterAll(() => gw.close(true));

  it('answers a short 400 that still says what is wrong', async () => {
    const writer = bearer(gw.tokens.tenant('acme', ['reader', 'writer']));
    // Within the longest key a body may hold (1,024 characters), past the longest field an
    // error repeats whole (512): the field is named by its start and end.
    const named = await gw.http
      .post('/v1/search')
      .set(writer)
      .send({ vector: [1, 0, 0], topK: 1, ['k'.repeat(1_000)]: 1 });
    expect(named.status).toBe(400);
    expect(named.body).toMatchObject({
      detail: expect.stringMatching(/^property k+ should not exist$/) as string,
      field: expect.stringMatching(/^k+…\(\d+ characters\)…k+$/) as string,
    });
    // A key of megabytes is refused before the body is parsed, without repeating it.
    const key = 'k'.repeat(2_000_000);
    const answers = [
      await gw.http
        .post('/v1/search')
        .set(writer)
        .send({ vector: [1, 0, 0], topK: 1, [key]: 1 }),
      await gw.http
        .post('/v1/search')
        .set(writer)
        .send({ vector: [1, 0, 0], topK: 1, filter: { [key]: { $gte: 'x' } } }),
      await gw.http
        .put('/v1/vectors')
        .set(writer)
        .send({ vectors: [{ id: 'a', values: [1, 0, 0], metadata: { [key]: 1 } }] }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(400);
      expect(res.text.length).toBeLessThan(8_000);
      expect(res.body).toMatchObject({ reason: 'limit:key_length', field: 'body' });
    }
  });

  it('answers a long path it does not serve in a short problem naming its start and end', async () => {
    const path = `/v1/${'p'.repeat(8_000)}/end`;
    const reader = bearer(gw.tokens.tenant('acme', ['reader']));
    for (const [res, status] of [
      [await gw.http.get(path).set(reader), 404],
      [await gw.http.get(path), 401],
    ] as const) {
      expect(res.status).toBe(status);
      expect(res.text.length).toBeLessThan(4_000);
      const { instance } = res.body as { instance: string };
      expect(instance).toMatch(/^\/v1\/p+…\(\d+ characters\)…p+\/end$/);
    }
  });
});
