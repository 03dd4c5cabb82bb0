import { LIMITS } from '@vecgate/search';
import { createTenant } from '../support/fixtures';
import { rng } from '../support/rng';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

const METRICS = ['euclidean', 'dot', 'cosine'] as const;
const MAX_DIM = 4096;
const B = LIMITS.maxVectorValue;

interface Match {
  id: string;
  score: unknown;
}

/** Scores are computed in float32 by every engine: bounded values keep every score finite. */
describe('scores stay finite and sorted', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ env: { MAX_BODY_BYTES: String(4 * 1024 * 1024) } });
    for (const metric of METRICS) {
      for (const dimension of [3, MAX_DIM]) {
        await createTenant(gw.http, gw.tokens, {
          id: `sb-${metric}-${dimension}`,
          dimension,
          metric,
        });
      }
    }
  });
  afterAll(() => gw.close(true));

  const token = (tenant: string) => bearer(gw.tokens.tenant(tenant, ['reader', 'writer']));

  it.each(METRICS)(
    '%s: values at the bound, at dimension 4,096, give finite scores in descending order',
    async (metric) => {
      const tenant = `sb-${metric}-${MAX_DIM}`;
      const random = rng(7);
      const extreme = (sign: (i: number) => number) =>
        Array.from({ length: MAX_DIM }, (_, i) => sign(i) * B);
      const vectors = [
        { id: 'plus', values: extreme(() => 1) },
        { id: 'minus', values: extreme(() => -1) },
        { id: 'mixed', values: extreme((i) => (i % 2 === 0 ? 1 : -1)) },
        ...Array.from({ length: 5 }, (_, n) => ({
          id: `r${n}`,
          values: Array.from({ length: MAX_DIM }, () => (random() * 2 - 1) * B),
        })),
      ];
      const put = await gw.http.put('/v1/vectors').set(token(tenant)).send({ vectors });
      expect(put.status).toBe(200);
      for (const query of [extreme(() => 1), extreme(() => -1), extreme((i) => (i % 3 ? 1 : -1))]) {
        const res = await gw.http
          .post('/v1/search')
          .set(token(tenant))
          .send({ vector: query, topK: 10 });
        expect(res.status).toBe(200);
        const matches = (res.body as { matches: Match[] }).matches;
        expect(matches).toHaveLength(vectors.length);
        const scores = matches.map((m) => m.score);
        for (const score of scores) {
          expect(typeof score).toBe('number');
          expect(Number.isFinite(score)).toBe(true);
        }
        expect(scores).toEqual([...(scores as number[])].sort((a, b) => b - a));
      }
    },
  );

  it.each(METRICS)(
    '%s: a value beyond the bound is 422 naming the element, on write and on query',
    async (metric) => {
      const tenant = `sb-${metric}-3`;
      const put = await gw.http
        .put('/v1/vectors')
        .set(token(tenant))
        .send({
          vectors: [
            { id: 'ok', values: [1, 2, 3] },
            { id: 'big', values: [1, 2, 3] },
            { id: 'huge', values: [1, 2, 3e38] },
          ],
        });
      expect(put.status).toBe(422);
      expect(put.body).toMatchObject({ field: 'vectors[2].values[2]' });
      const count = await gw.http
        .get('/v1/stats')
        .set(bearer(gw.tokens.tenant(tenant, ['tenant_admin'])));
      expect(count.body).toMatchObject({ vectorCount: 0 });

      const query = await gw.http
        .post('/v1/search')
        .set(token(tenant))
        .send({ vector: [3e38, 3e38, 3e38], topK: 3 });
      expect(query.status).toBe(422);
      expect(query.body).toMatchObject({ field: 'vector[0]' });

      const justOver = await gw.http
        .post('/v1/search')
        .set(token(tenant))
        .send({ vector: [1, -B * 1.000001, 1], topK: 3 });
      expect(justOver.status).toBe(422);
      expect(justOver.body).toMatchObject({ field: 'vector[1]' });
      const atBound = await gw.http
        .post('/v1/search')
        .set(token(tenant))
        .send({ vector: [1, -B, 1], topK: 3 });
      expect(atBound.status).toBe(200);
    },
  );
});
