import { createTenant } from '../support/fixtures';
import { rng } from '../support/rng';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

interface Match {
  id: string;
  score: number;
}

const DIMENSION = 8;

/** `exact` in a search body, with the embedded HNSW threshold lowered so a graph exists. */
describe('POST /v1/search with exact', () => {
  let gw: TestGateway;
  const token = () => bearer(gw.tokens.tenant('ann', ['reader', 'writer']));
  const random = rng(17);
  const vector = () => Array.from({ length: DIMENSION }, () => random() * 2 - 1);
  const search = (body: Record<string, unknown>) =>
    gw.http.post('/v1/search').set(token()).send(body);

  beforeAll(async () => {
    gw = await startGateway({ env: { EMBEDDED_ANN_MIN_VECTORS: '50' } });
    await createTenant(gw.http, gw.tokens, { id: 'ann', dimension: DIMENSION, metric: 'cosine' });
    const vectors = Array.from({ length: 200 }, (_, i) => ({ id: `v${i}`, values: vector() }));
    expect((await gw.http.put('/v1/vectors').set(token()).send({ vectors })).status).toBe(200);
  });
  afterAll(() => gw.close(true));

  it('refuses an exact that is not a boolean with 400 naming the field', async () => {
    const res = await search({ vector: vector(), topK: 5, exact: 'yes' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('exact');
  });

  it('answers exact: true and the default alike, with topK matches in score order', async () => {
    const query = vector();
    const exact = await search({ vector: query, topK: 10, exact: true });
    expect(exact.status).toBe(200);
    const matches = (exact.body as { matches: Match[] }).matches;
    expect(matches).toHaveLength(10);
    const scores = matches.map((m) => m.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // Exact while the graph is building; once built, its 128 candidates hold all 200 records.
    const plain = await search({ vector: query, topK: 10 });
    expect((plain.body as { matches: Match[] }).matches.map((m) => m.id)).toEqual(
      matches.map((m) => m.id),
    );
  });
});
