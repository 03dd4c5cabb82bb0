import { createTenant } from '../support/fixtures';
import { expectAudited, newRequestId } from '../support/audit-trail';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/**
 * Filter strings that try to break out of the tenant condition: each is either refused with
 * 400 or matches nothing outside the caller's tenant. The victim shares the attacker's
 * physical table (partition_key) and also lives in its own file and table.
 */
const HOSTILE_VALUES = [
  "' OR 1=1 --",
  "x' OR tenant_uid != '",
  "') OR ('1'='1",
  '" OR ""="',
  '\\',
  "\\' OR 1=1 --",
  '*/ OR 1=1 /*',
  '; DROP TABLE vg_shared_4_cosine; --',
  '1; SELECT * FROM vg_tenants',
  '%',
  '_',
  '$.owner',
  'victim',
  'ｖｉｃｔｉｍ',
  'vіctim',
  'victim\u0000',
  '\u202evictim',
  '../../embedded.db',
];

const HOSTILE_KEYS = [
  "owner') OR 1=1 --",
  "a' OR '1'='1",
  'owner OR 1',
  'owner"',
  '$where',
  '$regex',
  '__proto__',
  'constructor..prototype',
  'metadata.',
  '.owner',
  'a'.repeat(129),
  'metadata.tenant_uid',
  'owner._vg_tenant',
  'tenant_uid',
  '_vg_tenant',
  'TENANT',
  'ｔｅｎａｎｔ_id',
];

describe('filter injection cannot break out of the tenant', () => {
  let gw: TestGateway;
  const token = {} as Record<
    'attacker' | 'victim' | 'vault' | 'cellar',
    { reader: string; writer: string }
  >;

  beforeAll(async () => {
    gw = await startGateway({ env: { AUDIT_UNAUTHENTICATED_PER_SECOND: '100000' } });
    const placements = {
      attacker: 'standard',
      victim: 'standard',
      vault: 'enterprise',
      cellar: 'premium',
    } as const;
    for (const [id, tier] of Object.entries(placements)) {
      await createTenant(gw.http, gw.tokens, { id, tier, dimension: 4, metric: 'cosine' });
      token[id as keyof typeof token] = {
        reader: gw.tokens.tenant(id, ['reader']),
        writer: gw.tokens.tenant(id, ['writer']),
      };
      const vectors = HOSTILE_VALUES.map((value, i) => ({
        id: `${id}-${i}`,
        values: [1, i + 1, 0.5, 0.25],
        metadata: { owner: id, label: value, n: i },
      }));
      const res = await gw.http
        .put('/v1/vectors')
        .set(bearer(token[id as keyof typeof token].writer))
        .send({ vectors });
      expect(res.status).toBe(200);
    }
  });

  afterAll(() => gw.close(true));

  const search = (filter: unknown, requestId = newRequestId()) =>
    gw.http
      .post('/v1/search')
      .set({ ...bearer(token.attacker.reader), 'x-request-id': requestId })
      .send({ vector: [1, 1, 1, 1], topK: 1000, includeMetadata: true, filter });

  it.each(HOSTILE_VALUES.map((v) => [JSON.stringify(v), v]))(
    'value %s matches only the attacker’s own record holding exactly that value',
    async (_name, value) => {
      for (const filter of [
        { label: value },
        { label: { $in: [value] } },
        { $or: [{ label: value }, { owner: value }] },
      ]) {
        const res = await search(filter);
        expect(res.status).toBe(200);
        const matches = (res.body as { matches: { metadata: { owner: string; label: string } }[] })
          .matches;
        expect(matches).toHaveLength(1);
        expect(matches[0]?.metadata).toMatchObject({ owner: 'attacker', label: value });
      }
    },
  );

  it.each(HOSTILE_VALUES.map((v) => [JSON.stringify(v), v]))(
    'value %s in $ne or $nin never reaches another tenant',
    async (_name, value) => {
      for (const filter of [
        { label: { $ne: value } },
        { owner: { $nin: [value] } },
        { owner: { $ne: 'attacker' } },
      ]) {
        const res = await search(filter);
        expect(res.status).toBe(200);
        const matches = (res.body as { matches: { metadata: { owner: string } }[] }).matches;
        expect(matches.every((m) => m.metadata.owner === 'attacker')).toBe(true);
      }
    },
  );

  it.each(
    ['metadata.owner', 'constructor.prototype', '__proto__.owner', 'owner.length'].map((k) => [
      JSON.stringify(k),
      k,
    ]),
  )(
    'dotted key %s is a field like any other and reaches only the caller’s records',
    async (_n, key) => {
      // No record has such a field: only `$exists: false` matches, every one of the caller's.
      for (const [condition, expected] of [
        ['victim', 0],
        [{ $ne: 'x' }, 0],
        [{ $exists: false }, HOSTILE_VALUES.length],
      ] as const) {
        const res = await search({ [key]: condition });
        expect(res.status).toBe(200);
        const matches = (res.body as { matches: { metadata: { owner: string } }[] }).matches;
        expect(matches.every((m) => m.metadata.owner === 'attacker')).toBe(true);
        expect(matches).toHaveLength(expected);
      }
    },
  );

  it.each(HOSTILE_KEYS.map((k) => [JSON.stringify(k), k]))(
    'key %s is refused with 400 and audited',
    async (_n, key) => {
      const requestId = newRequestId();
      const res = await search({ [key]: 'victim' }, requestId);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).not.toContain('"owner":"victim"');
      await expectAudited(gw, requestId, 400);
    },
  );

  it('field names address metadata, never storage columns', async () => {
    for (const column of ['id', 'vector', 'metadata', 'rowid']) {
      const res = await search({ [column]: { $ne: 'nothing' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ matches: [] });
    }
  });

  it.each([
    ['an unknown operator', { label: { $regex: '.*' } }],
    ['a javascript operator', { $where: 'true' }],
    ['an empty $or', { $or: [] }],
    ['a nested object value', { label: { $eq: { $ne: null } } }],
    ['a null value', { label: null }],
    [
      'deep nesting',
      JSON.parse(
        '{"$and":[{"$or":[{"$and":[{"$or":[{"$and":[{"$or":[{"$and":[{"n":1}]}]}]}]}]}]}]}',
      ),
    ],
    ['too many clauses', { $or: Array.from({ length: 65 }, (_, i) => ({ n: i })) }],
    ['a string range', { label: { $gt: 'a' } }],
  ])('refuses %s with 400', async (_name, filter) => {
    const requestId = newRequestId();
    const res = await search(filter, requestId);
    expect(res.status).toBe(400);
    expect((res.body as { field?: string }).field).toMatch(/^(filter|body\.filter)/);
    await expectAudited(gw, requestId, 400);
  });

  it('refuses a non-finite number (1e400 parses to Infinity) with 400', async () => {
    const requestId = newRequestId();
    const res = await gw.http
      .post('/v1/search')
      .set({
        ...bearer(token.attacker.reader),
        'x-request-id': requestId,
        'content-type': 'application/json',
      })
      .send('{"vector":[1,1,1,1],"topK":5,"filter":{"n":{"$gt":1e400}}}');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'filter.n.$gt' });
    await expectAudited(gw, requestId, 400);
  });

  it('a hostile delete filter deletes nothing of any other tenant', async () => {
    const counts = async (): Promise<number[]> =>
      Promise.all(
        (['victim', 'vault', 'cellar'] as const).map(async (id) => {
          const res = await gw.http
            .get('/v1/stats')
            .set(bearer(gw.tokens.tenant(id, ['tenant_admin'])));
          return (res.body as { vectorCount: number }).vectorCount;
        }),
      );
    const before = await counts();
    for (const value of HOSTILE_VALUES) {
      const res = await gw.http
        .post('/v1/vectors/delete')
        .set(bearer(token.attacker.writer))
        .send({ filter: { $or: [{ owner: value }, { label: { $ne: value } }] } });
      expect(res.status).toBe(200);
    }
    expect(await counts()).toEqual(before);
    expect(before.every((n) => n === HOSTILE_VALUES.length)).toBe(true);
  });
});
