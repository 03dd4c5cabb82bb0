import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/** What the caller sends is what is stored and what filters select: no key is lost on the way. */
describe('input fidelity', () => {
  let gw: TestGateway;
  let token: Record<string, string>;
  beforeAll(async () => {
    gw = await startGateway();
    await createTenant(gw.http, gw.tokens, { id: 'fidelity', dimension: 2, metric: 'cosine' });
    token = bearer(gw.tokens.tenant('fidelity', ['reader', 'writer']));
  });
  afterAll(() => gw.close(true));

  it('stores and filters on metadata keys named like Object.prototype members', async () => {
    const metadata = {
      keep: 1,
      constructor: 'c',
      toString: 't',
      valueOf: 'v',
      hasOwnProperty: 'h',
    };
    const put = await gw.http
      .put('/v1/vectors')
      .set(token)
      .send({
        vectors: [
          { id: 'a', values: [1, 0], metadata },
          { id: 'b', values: [0, 1], metadata: { keep: 1 } },
        ],
      });
    expect(put.status).toBe(200);
    expect((await gw.http.get('/v1/vectors/a').set(token)).body).toMatchObject({ metadata });

    const search = await gw.http
      .post('/v1/search')
      .set(token)
      .send({ vector: [1, 1], topK: 10, filter: { keep: 1, toString: 'x' } });
    expect(search.body).toEqual({ matches: [] });
    const narrowed = await gw.http
      .post('/v1/search')
      .set(token)
      .send({ vector: [1, 1], topK: 10, filter: { constructor: 'c' } });
    expect((narrowed.body as { matches: { id: string }[] }).matches.map((m) => m.id)).toEqual([
      'a',
    ]);

    const deleted = await gw.http
      .post('/v1/vectors/delete')
      .set(token)
      .send({ filter: { keep: 1, valueOf: 'no-such-value' } });
    expect(deleted.body).toEqual({ deleted: 0 });
  });

  it('refuses a body that is not a JSON object', async () => {
    const res = await gw.http
      .post('/v1/search')
      .set({ ...token, 'content-type': 'application/json' })
      .send('[1,2]');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'body' });
  });

  it('refuses a vector that is zero once stored as 32-bit floats, under cosine', async () => {
    const res = await gw.http
      .put('/v1/vectors')
      .set(token)
      .send({ vectors: [{ id: 'tiny', values: [1e-46, 1e-46] }] });
    expect(res.status).toBe(422);
    expect((await gw.http.get('/v1/vectors/tiny').set(token)).status).toBe(404);
  });
});
