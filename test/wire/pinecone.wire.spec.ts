import {
  BackendError,
  BadRequestError,
  DeadlineExceededError,
  UnavailableError,
  UnprocessableError,
  VecgateError,
} from '@vecgate/core';
import { FilterNode, makeTenantScope, Scalar } from '@vecgate/isolation';
import { dedicatedIndexName } from '@vecgate/isolation/backends/pinecone/pinecone.naming';
import { EnvFileSecretProvider } from '@vecgate/isolation/backends/pinecone/pinecone.secrets';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBackend } from '@vecgate/isolation';
import { PineconeBackend } from '@vecgate/isolation/backends/pinecone/pinecone.backend';
import { describeIsolationConformance } from '../conformance/isolation.conformance';
import { StubRecord } from './pinecone/model';
import { error, PineconeStub } from './pinecone/stub';
import { rng } from '../support/rng';
import { randomFilter, randomMetadata } from './pinecone/random-input';
import {
  Backends,
  createTenant,
  inNamespace,
  newUid,
  PROJECT_KEY,
  rejectionOf,
  startStub,
  stubOptions,
  withLocation,
} from './pinecone/fixtures';

const ALL = { includeValues: true, includeMetadata: true } as const;
const NONE = { includeValues: false, includeMetadata: false } as const;
const COSINE4 = { dimension: 4, metric: 'cosine' } as const;
const CLIENT_API_VERSION = '2026-04';

const SAMPLE_METADATA = { color: 'red', n: 3, tags: ['a', 'b'], flag: true, nested: { x: null } };

/**
 * Records `r1` (with `SAMPLE_METADATA`) and `r2` (without metadata) of the default namespace as
 * Pinecone stores them: what this release sends, and what the release before namespaces sent.
 */
function defaultNamespaceRecords(uid: string): StubRecord[] {
  return [
    {
      id: 'r1',
      values: [1, 0, 0, 0],
      metadata: {
        _vg_tenant: uid,
        _vg_md: JSON.stringify(SAMPLE_METADATA),
        _vg_has: ['color', 'n', 'tags', 'flag'],
        _vg_s_color: ['red'],
        _vg_n_n: ['3'],
        _vg_lo_n: 3,
        _vg_hi_n: 3,
        _vg_s_tags: ['a', 'b'],
        _vg_b_flag: ['true'],
      },
    },
    { id: 'r2', values: [0, 1, 0, 0], metadata: { _vg_tenant: uid } },
  ];
}

/** Every object key in a JSON value, at any depth. */
function objectKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(objectKeys);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...objectKeys(v)]);
}

/** Every scalar leaf in a JSON value. */
function leafValues(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(leafValues);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(leafValues);
  return [value];
}

/** The string values of a filter tree that a query must carry (ranges on strings match nothing). */
function stringsOf(node: FilterNode): string[] {
  switch (node.op) {
    case '$and':
    case '$or':
      return node.nodes.flatMap(stringsOf);
    case '$eq':
    case '$ne':
      return typeof node.value === 'string' ? [node.value] : [];
    case '$in':
    case '$nin':
      return node.values.filter((v: Scalar): v is string => typeof v === 'string');
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return [];
  }
}

/** The namespace a data-plane request names (in its body, or its query string for fetch). */
function namespaceOf(request: { body: unknown; query: URLSearchParams; path: string }): unknown {
  if (request.path === '/vectors/fetch') return request.query.get('namespace');
  return (request.body as { namespace?: unknown } | undefined)?.namespace;
}

describe('Pinecone backend on the wire (real @pinecone-database/pinecone client, local HTTP stub)', () => {
  let stub: PineconeStub;
  const backends = new Backends();

  beforeAll(async () => {
    stub = await startStub();
  });

  afterAll(async () => {
    await backends.closeAll();
    await stub.close();
  });

  beforeEach(() => stub.reset());

  describe('namespace strategy', () => {
    it.each([
      ['its default namespace', '', '', { $exists: false }, {}],
      ['a named namespace', 'docs', '~docs', { $eq: 'docs' }, { _vg_ns: 'docs' }],
    ])(
      'binds every upsert, fetch, query and delete to the Pinecone namespace of %s on the shared index host',
      async (_, name, suffix, namespaceCondition, stamp) => {
        const backend = backends.make(stubOptions(stub));
        const base = await createTenant(backend, 'namespace', COSINE4);
        const uid = base.tenantUid;
        expect(base.placement.location).toEqual({
          index: 'vg-shared-4-cosine',
          namespace: `vg-${uid}`,
        });
        const a = inNamespace(base, name);
        const ns = `vg-${uid}${suffix}`;
        stub.reset();

        const metadata = SAMPLE_METADATA;
        await expect(
          backend.upsert(a, [
            { id: 'r1', values: Float32Array.from([1, 0, 0, 0]), metadata },
            { id: 'r2', values: Float32Array.from([0, 1, 0, 0]) },
          ]),
        ).resolves.toEqual({ upserted: 2 });
        const fetched = await backend.fetch(a, ['r1', 'zz'], ALL);
        const hits = await backend.search(a, {
          vector: Float32Array.from([1, 0.5, 0, 0]),
          topK: 5,
          filter: { op: '$eq', field: 'color', value: 'red' },
          ...NONE,
        });
        const deletedIds = await backend.delete(a, { kind: 'ids', ids: ['r1', 'absent'] });
        await backend.upsert(a, [{ id: 'r1', values: Float32Array.from([1, 0, 0, 0]), metadata }]);
        const deletedByFilter = await backend.delete(a, {
          kind: 'filter',
          filter: { op: '$gt', field: 'n', value: 2 },
        });
        const deletedAll = await backend.delete(a, { kind: 'all' });
        const count = await backend.count(a);

        expect(fetched).toEqual([
          {
            id: 'r1',
            tenantUid: uid,
            namespace: name,
            values: Float32Array.from([1, 0, 0, 0]),
            metadata,
          },
        ]);
        expect(
          hits.map((h) => ({ id: h.id, tenantUid: h.tenantUid, namespace: h.namespace })),
        ).toEqual([{ id: 'r1', tenantUid: uid, namespace: name }]);
        expect(hits[0]!.score).toBeCloseTo(1 / Math.sqrt(1.25), 6);
        expect(deletedIds).toEqual({ deleted: 1 });
        expect(deletedByFilter).toEqual({ deleted: 1 });
        expect(deletedAll).toEqual({ deleted: 1 });
        expect(count).toBe(0);

        const tenant = { _vg_tenant: { $eq: uid }, _vg_ns: namespaceCondition };
        const sent = stub.requests.map((r) => ({
          host: r.host,
          call: `${r.method} ${r.path}`,
          namespace: namespaceOf(r),
        }));
        expect(sent).toEqual([
          { host: 'vg-shared-4-cosine', call: 'POST /vectors/upsert', namespace: ns },
          { host: 'vg-shared-4-cosine', call: 'GET /vectors/fetch', namespace: ns },
          { host: 'vg-shared-4-cosine', call: 'POST /query', namespace: ns },
          { host: 'vg-shared-4-cosine', call: 'GET /vectors/fetch', namespace: ns },
          { host: 'vg-shared-4-cosine', call: 'POST /vectors/delete', namespace: ns },
          { host: 'vg-shared-4-cosine', call: 'POST /vectors/upsert', namespace: ns },
          { host: 'vg-shared-4-cosine', call: 'POST /query', namespace: ns },
          { host: 'vg-shared-4-cosine', call: 'POST /vectors/delete', namespace: ns },
          // Index statistics name every namespace: requested index-wide, read server-side.
          { host: 'vg-shared-4-cosine', call: 'POST /describe_index_stats', namespace: undefined },
          { host: 'vg-shared-4-cosine', call: 'POST /vectors/delete', namespace: ns },
          { host: 'vg-shared-4-cosine', call: 'POST /describe_index_stats', namespace: undefined },
        ]);
        const [upsert, fetch, query, , deleteIds, , filterQuery, filterDelete, , deleteAll] =
          stub.requests;
        // The default namespace's records are stored as before namespaces existed; the others
        // carry their namespace name too.
        const stored = defaultNamespaceRecords(uid).map((r) => ({
          ...r,
          metadata: { ...r.metadata, ...stamp },
        }));
        expect(upsert!.body).toEqual({ vectors: stored, namespace: ns });
        expect(fetch!.query.getAll('ids')).toEqual(['r1', 'zz']);
        expect(query!.body).toEqual({
          namespace: ns,
          topK: 5,
          vector: [1, 0.5, 0, 0],
          filter: { $and: [tenant, { _vg_s_color: { $in: ['red'] } }] },
          includeValues: false,
          includeMetadata: true,
        });
        expect(deleteIds!.body).toEqual({ ids: ['r1'], namespace: ns });
        expect(filterQuery!.body).toEqual({
          namespace: ns,
          topK: 1000,
          vector: [1, 0, 0, 0],
          filter: { $and: [tenant, { _vg_hi_n: { $gt: 2 } }] },
          includeValues: false,
          includeMetadata: false,
        });
        expect(filterDelete!.body).toEqual({ ids: ['r1'], namespace: ns });
        expect(deleteAll!.body).toEqual({ deleteAll: true, namespace: ns });
        for (const r of stub.requests) {
          expect(r.headers['api-key']).toBe(PROJECT_KEY);
          expect(r.headers['x-pinecone-api-version']).toBe(CLIENT_API_VERSION);
        }
        // No other Pinecone namespace of the tenant was ever written.
        const index = stub.index('vg-shared-4-cosine');
        expect([...index.namespaces.keys()].filter((k) => k.includes(uid))).toEqual([ns]);
      },
    );

    it('puts the tenant condition first in every query filter, whatever hostile values the user filter holds', async () => {
      const backend = backends.make(stubOptions(stub));
      const a = await createTenant(backend, 'namespace', COSINE4);
      const tenant = { _vg_tenant: { $eq: a.tenantUid }, _vg_ns: { $exists: false } };
      const next = rng(20240605);
      const allowedKey =
        /^(\$and|\$or|\$in|\$nin|\$gt|\$gte|\$lt|\$lte|\$exists|_vg_has|_vg_(s|n|lo|hi|b)_[A-Za-z_][A-Za-z0-9_]*)$/;
      let queries = 0;
      for (let i = 0; i < 150; i++) {
        const filter = randomFilter(next, 0, true);
        stub.reset();
        await backend.search(a, {
          vector: Float32Array.from([1, 2, 3, 4]),
          topK: 10,
          filter,
          ...ALL,
        });
        // A filter that can match nothing (a range on a string...) sends no query at all.
        for (const request of stub.requests) {
          queries++;
          expect(request.path).toBe('/query');
          expect(namespaceOf(request)).toBe(`vg-${a.tenantUid}`);
          const sentFilter = (request.body as { filter: { $and: unknown[] } }).filter;
          expect(Object.keys(sentFilter)).toEqual(['$and']);
          expect(sentFilter.$and).toHaveLength(2);
          expect(sentFilter.$and[0]).toEqual(tenant);
          const keys = objectKeys(sentFilter.$and[1]);
          for (const key of keys) expect(key).toMatch(allowedKey);
          // Every hostile string travels as a value, verbatim (keys are only ours, above).
          for (const value of stringsOf(filter)) {
            expect(leafValues(sentFilter.$and[1])).toContain(value);
          }
        }
      }
      expect(queries).toBeGreaterThan(100);
      // A user filter naming the tenant field is refused before any request.
      stub.reset();
      for (const field of ['_vg_tenant', '_VG_md', 'a-b', '']) {
        const err = await rejectionOf(() =>
          backend.search(a, {
            vector: Float32Array.from([1, 2, 3, 4]),
            topK: 1,
            filter: { op: '$eq', field, value: 'x' },
            ...NONE,
          }),
        );
        expect((err as VecgateError).status).toBe(400);
      }
      expect(stub.requests).toEqual([]);
    });

    it('fails closed on a missing, empty or foreign namespace: the stub receives nothing', async () => {
      const backend = backends.make(stubOptions(stub));
      const a = await createTenant(backend, 'namespace', COSINE4);
      const other = `vg-${newUid()}`;
      const ns = `vg-${a.tenantUid}`;
      const bad: Record<string, string>[] = [
        { index: 'vg-shared-4-cosine' },
        { index: 'vg-shared-4-cosine', namespace: '' },
        { index: 'vg-shared-4-cosine', namespace: '__default__' },
        { index: 'vg-shared-4-cosine', namespace: other },
        { index: 'vg-shared-4-cosine', namespace: `${ns} ` },
        { index: 'vg-shared-4-cosine', namespace: ns.toUpperCase() },
        { index: 'vg-shared-8-cosine', namespace: ns },
        { index: 'vg-not-configured', namespace: ns },
        { namespace: ns },
      ];
      stub.reset();
      const v = Float32Array.from([1, 0, 0, 0]);
      for (const location of bad) {
        const scope = withLocation(a, location);
        const calls: (() => Promise<unknown>)[] = [
          () => backend.upsert(scope, [{ id: 'x', values: v }]),
          () => backend.fetch(scope, ['x'], ALL),
          () => backend.search(scope, { vector: v, topK: 1, ...ALL }),
          () => backend.delete(scope, { kind: 'ids', ids: ['x'] }),
          () =>
            backend.delete(scope, { kind: 'filter', filter: { op: '$eq', field: 'a', value: 1 } }),
          () => backend.delete(scope, { kind: 'all' }),
          () => backend.count(scope),
          () => backend.provision(scope),
          () => backend.erase(scope),
          () => backend.checkCapacity(scope),
        ];
        for (const [i, call] of calls.entries()) {
          const err = await rejectionOf(call).catch((e: Error) => {
            throw new Error(`${JSON.stringify(location)} call ${i}: ${e.message}`);
          });
          expect(err.message).toMatch(/namespace|index|placement/);
        }
      }
      expect(stub.requests).toEqual([]);
    });

    it.each([
      [400, 502, /pinecone query failed: Pinecone refused the request \(400\/403\)/],
      [401, 502, /pinecone query failed: Pinecone refused the API key \(401\)/],
      [403, 502, /pinecone query failed: Pinecone refused the request \(400\/403\)/],
      [404, 502, /pinecone query failed: Pinecone answered 404/],
      [409, 502, /pinecone query failed: Pinecone answered 409/],
      [422, 502, /pinecone query failed: Pinecone answered 422/],
      [429, 503, /pinecone query failed: Pinecone is rate limiting the gateway \(429\)/],
      [500, 503, /pinecone query failed: Pinecone could not be reached or did not answer in time/],
      [503, 503, /pinecone query failed: Pinecone could not be reached or did not answer in time/],
    ])(
      'turns a %i answer into a clear %i, never an empty result',
      async (status, expected, message) => {
        const backend = backends.make(stubOptions(stub));
        const a = await createTenant(backend, 'namespace', COSINE4);
        stub.override = (r) =>
          r.path === '/query' ? error(status, `boom ${PROJECT_KEY}`) : undefined;
        const err = await rejectionOf(() =>
          backend.search(a, { vector: Float32Array.from([1, 0, 0, 0]), topK: 3, ...ALL }),
        );
        expect(err).toBeInstanceOf(expected === 502 ? BackendError : UnavailableError);
        expect((err as VecgateError).status).toBe(expected);
        expect(err.message).toMatch(message);
        // Our own text only: no key, no host, no echo of Pinecone's body.
        expect(err.message).not.toContain(PROJECT_KEY);
        expect(err.message).not.toContain('127.0.0.1');
        expect(err.message).not.toContain('boom');
        if (expected === 503) expect((err as VecgateError).extras.retryAfterSeconds).toBe(1);
      },
    );

    it('abandons a query at the request’s deadline and sends no write after it', async () => {
      const backend = backends.make(stubOptions(stub));
      const a = await createTenant(backend, 'namespace', COSINE4);
      stub.override = (r) =>
        r.path === '/query' ? { status: 200, body: { matches: [] }, delayMs: 3000 } : undefined;
      const controller = new AbortController();
      setTimeout(() => controller.abort(new DeadlineExceededError()), 50);
      const started = Date.now();
      const err = await rejectionOf(() =>
        backend.search(
          a,
          { vector: Float32Array.from([1, 0, 0, 0]), topK: 3, ...ALL },
          { signal: controller.signal },
        ),
      );
      expect(err).toBeInstanceOf(DeadlineExceededError);
      expect(Date.now() - started).toBeLessThan(2500);
      stub.reset();
      const late = await rejectionOf(() =>
        backend.upsert(a, [{ id: 'x', values: Float32Array.from([1, 0, 0, 0]) }], {
          signal: controller.signal,
        }),
      );
      expect(late).toBeInstanceOf(DeadlineExceededError);
      expect(stub.requests.filter((r) => r.path === '/vectors/upsert')).toHaveLength(0);
    });

    it('answers 503 when the host does not answer in time or cannot be reached', async () => {
      const backend = backends.make(stubOptions(stub, { requestTimeoutMs: 150 }));
      const a = await createTenant(backend, 'namespace', COSINE4);
      stub.override = (r) =>
        r.path === '/vectors/upsert' ? { status: 200, body: {}, delayMs: 2000 } : undefined;
      const slow = await rejectionOf(() =>
        backend.upsert(a, [{ id: 'x', values: Float32Array.from([1, 0, 0, 0]) }]),
      );
      expect(slow).toBeInstanceOf(UnavailableError);
      expect(slow.message).toMatch(/pinecone upsert failed: Pinecone could not be reached/);

      const gone = await PineconeStub.start();
      const deadUrl = gone.controlUrl;
      await gone.close();
      const options = stubOptions(stub);
      const unreachable = backends.make({
        ...options,
        sharedIndexes: options.sharedIndexes.map((i) => ({ ...i, host: deadUrl })),
      });
      const err = await rejectionOf(() => unreachable.count(a));
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as VecgateError).status).toBe(503);
    });

    it("answers only the tenant's own count while the index statistics list several namespaces", async () => {
      const backend = backends.make(stubOptions(stub));
      const a = await createTenant(backend, 'namespace', COSINE4);
      const b = await createTenant(backend, 'namespace', COSINE4);
      const empty = await createTenant(backend, 'namespace', COSINE4);
      const index = stub.index('vg-shared-4-cosine');
      const rec = (id: string) => ({ id, values: [1, 0, 0, 0] });
      index.seed('', [rec('d1'), rec('d2'), rec('d3')]);
      index.seed(
        'another-application',
        Array.from({ length: 11 }, (_, i) => rec(`o${i}`)),
      );
      await backend.upsert(
        a,
        [1, 2].map((i) => ({ id: `a${i}`, values: Float32Array.from([1, i, 0, 0]) })),
      );
      await backend.upsert(
        b,
        [1, 2, 3, 4, 5, 6, 7].map((i) => ({
          id: `b${i}`,
          values: Float32Array.from([i, 1, 0, 0]),
        })),
      );
      stub.reset();

      const answers = [await backend.count(a), await backend.count(b), await backend.count(empty)];
      expect(answers).toEqual([2, 7, 0]);
      // The stub's statistics named all of them; only numbers came back.
      const stats = stub.requests.filter((r) => r.path === '/describe_index_stats');
      expect(stats).toHaveLength(3);
      const health = await backend.health();
      expect(health).toEqual({ ok: true });
      const visible = JSON.stringify({ answers, health });
      for (const name of [`vg-${b.tenantUid}`, 'another-application', '__default__', 'd1', '11']) {
        expect(visible).not.toContain(name);
      }
      // Failures do not leak them either.
      stub.override = (r) =>
        r.path === '/describe_index_stats'
          ? error(500, JSON.stringify(index.namespaces.keys()))
          : undefined;
      const err = await rejectionOf(() => backend.count(a));
      const unhealthy = await backend.health();
      expect(unhealthy.ok).toBe(false);
      for (const text of [err.message, unhealthy.detail ?? '']) {
        expect(text).not.toContain('vg-');
        expect(text).not.toContain('another-application');
      }
    });

    it('reports the tenant uid read back from each record, never the one of the caller', async () => {
      const backend = backends.make(stubOptions(stub));
      const a = await createTenant(backend, 'namespace', COSINE4);
      const intruder = newUid();
      stub.index('vg-shared-4-cosine').seed(`vg-${a.tenantUid}`, [
        {
          id: 'foreign',
          values: [1, 0, 0, 0],
          metadata: { _vg_tenant: intruder, _vg_md: '{"x":1}' },
        },
        { id: 'unmarked', values: [0, 1, 0, 0], metadata: { x: 'y' } },
      ]);
      const fetched = await backend.fetch(a, ['foreign', 'unmarked'], ALL);
      expect(fetched.map((r) => [r.id, r.tenantUid])).toEqual([
        ['foreign', intruder],
        ['unmarked', ''],
      ]);
      expect(fetched[0]!.metadata).toEqual({ x: 1 });
      expect(fetched[1]!.metadata).toEqual({});
      // A match the index answers despite the filter keeps its stored uid too.
      stub.override = (r) =>
        r.path === '/query'
          ? {
              status: 200,
              body: {
                matches: [
                  { id: 'foreign', score: 0.5, values: [], metadata: { _vg_tenant: intruder } },
                ],
                namespace: `vg-${a.tenantUid}`,
              },
            }
          : undefined;
      const hits = await backend.search(a, {
        vector: Float32Array.from([1, 0, 0, 0]),
        topK: 3,
        ...NONE,
      });
      expect(hits).toEqual([{ id: 'foreign', tenantUid: intruder, namespace: '', score: 0.5 }]);
      // A delete by ids never removes a record stamped with another uid.
      stub.override = undefined;
      await expect(backend.delete(a, { kind: 'ids', ids: ['foreign'] })).resolves.toEqual({
        deleted: 0,
      });
      expect(stub.requests.filter((r) => r.path === '/vectors/delete')).toEqual([]);
    });

    it('builds one client per API key and one index handle per host, whatever the number of requests', async () => {
      const backend = backends.make(stubOptions(stub));
      const tenants = await Promise.all(
        [1, 2, 3].map(() => createTenant(backend, 'namespace', COSINE4)),
      );
      const euclid = await createTenant(backend, 'namespace', {
        dimension: 4,
        metric: 'euclidean',
      });
      for (let round = 0; round < 5; round++) {
        for (const t of [...tenants, euclid]) {
          await backend.upsert(t, [
            { id: `r${round}`, values: Float32Array.from([1, round, 0, 0]) },
          ]);
          await backend.search(t, { vector: Float32Array.from([1, 0, 0, 0]), topK: 2, ...ALL });
          await backend.count(t);
        }
      }
      expect(backend.clients.size).toEqual({ clients: 1, handles: 2 });
    });

    it('refuses a (dimension, metric) pair no shared index is mapped to: 422 naming the pair', () => {
      const backend = backends.make(stubOptions(stub));
      let err: unknown;
      try {
        backend.plan({
          tenantId: 'acme',
          tenantUid: newUid(),
          strategy: 'namespace',
          space: { dimension: 7, metric: 'dot' },
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UnprocessableError);
      expect((err as VecgateError).status).toBe(422);
      expect((err as Error).message).toContain('7:dot');
      expect(stub.requests).toEqual([]);
    });

    it('scores higher-is-more-similar: the negated (not squared) euclidean distance, the dot product', async () => {
      const backend = backends.make(stubOptions(stub));
      const e = await createTenant(backend, 'namespace', { dimension: 4, metric: 'euclidean' });
      await backend.upsert(e, [
        { id: 'near', values: Float32Array.from([1, 0, 0, 0]) },
        { id: 'far', values: Float32Array.from([3, 0, 0, 0]) },
      ]);
      const hits = await backend.search(e, {
        vector: Float32Array.from([0, 0, 0, 0]),
        topK: 2,
        ...NONE,
      });
      expect(hits.map((h) => [h.id, h.score])).toEqual([
        ['near', -1],
        ['far', -3],
      ]);
      const d = await createTenant(backend, 'namespace', { dimension: 3, metric: 'dot' });
      await backend.upsert(d, [
        { id: 'small', values: Float32Array.from([1, 1, 0]) },
        { id: 'big', values: Float32Array.from([2, 3, 0]) },
      ]);
      const dots = await backend.search(d, {
        vector: Float32Array.from([1, 1, 1]),
        topK: 2,
        ...NONE,
      });
      expect(dots.map((h) => [h.id, h.score])).toEqual([
        ['big', 5],
        ['small', 2],
      ]);
    });

    it('erases a namespace: deletes its records, verifies a zero count, is idempotent and spares other tenants', async () => {
      const backend = backends.make(stubOptions(stub));
      const a = await createTenant(backend, 'namespace', COSINE4);
      const b = await createTenant(backend, 'namespace', COSINE4);
      const v = Float32Array.from([1, 0, 0, 0]);
      await backend.upsert(a, [
        { id: 'same', values: v },
        { id: 'a2', values: v },
      ]);
      await backend.upsert(b, [{ id: 'same', values: v }]);
      stub.reset();
      await expect(backend.erase(a)).resolves.toEqual({
        places: [{ place: `pinecone:vg-shared-4-cosine/vg-${a.tenantUid}`, remaining: 0 }],
      });
      expect(stub.requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.body)}`)).toEqual([
        'POST /describe_index_stats {}',
        `POST /vectors/delete {"deleteAll":true,"namespace":"vg-${a.tenantUid}"}`,
        'POST /describe_index_stats {}',
      ]);
      // Again: the namespace is gone (Pinecone answers 404), which counts as erased.
      await expect(backend.erase(a)).resolves.toEqual({
        places: [{ place: `pinecone:vg-shared-4-cosine/vg-${a.tenantUid}`, remaining: 0 }],
      });
      expect(await backend.count(b)).toBe(1);
      // A delete Pinecone has not applied yet is reported, not hidden.
      await backend.upsert(a, [{ id: 'late', values: v }]);
      stub.override = (r) => (r.path === '/vectors/delete' ? { status: 200, body: {} } : undefined);
      const report = await backend.erase(a);
      expect(report.places[0]!.remaining).toBe(1);
    });

    it('refuses a new namespace beyond the configured limit: 507 before anything is written', async () => {
      const backend = backends.make(stubOptions(stub, { maxNamespacesPerIndex: 2 }));
      const index = stub.index('vg-shared-3-dot');
      index.namespaces.clear();
      index.seed('vg-x1', [{ id: 'a', values: [1, 0, 0] }]);
      index.seed('vg-x2', [{ id: 'a', values: [1, 0, 0] }]);
      stub.reset();
      const err = await rejectionOf(() =>
        createTenant(backend, 'namespace', { dimension: 3, metric: 'dot' }),
      );
      expect((err as VecgateError).status).toBe(507);
      expect(err.message).toContain('the configured limit is 2');
      expect(stub.requests.map((r) => r.path)).toEqual(['/describe_index_stats']);
      index.namespaces.clear();
    });

    it("sends the configured API version instead of the client's when asked (for older servers)", async () => {
      const backend = backends.make(stubOptions(stub, { apiVersion: '2025-01' }));
      const a = await createTenant(backend, 'namespace', COSINE4);
      await backend.count(a);
      expect(stub.requests.length).toBeGreaterThan(0);
      for (const r of stub.requests) expect(r.headers['x-pinecone-api-version']).toBe('2025-01');
    });
  });

  describe('namespaces inside a tenant', () => {
    const FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const REST = `${FIRST}_.:@-`;

    /** A random namespace name of the gateway's alphabet, 1 to 64 characters. */
    function randomNamespace(next: () => number): string {
      const pick = (chars: string) => chars[Math.floor(next() * chars.length)]!;
      const length = 1 + Math.floor(next() * 64);
      let name = pick(FIRST);
      while (name.length < length) name += pick(REST);
      return name;
    }

    it('carries random namespace names of the whole alphabet verbatim, each in its own Pinecone namespace', async () => {
      const backend = backends.make(stubOptions(stub));
      const base = await createTenant(backend, 'namespace', COSINE4);
      const next = rng(1313);
      const names = new Set(['a', 'A', 'a.b', 'a:b', 'a@b', 'a-b', 'a_b', '0', `vg-${newUid()}`]);
      while (names.size < 40) names.add(randomNamespace(next));
      for (const [i, name] of [...names].entries()) {
        const scope = inNamespace(base, name);
        const v = Float32Array.from([1, i, 0, 0]);
        stub.reset();
        await backend.upsert(scope, [{ id: 'same-id', values: v, metadata: { i } }]);
        const [fetched] = await backend.fetch(scope, ['same-id'], ALL);
        const hits = await backend.search(scope, { vector: v, topK: 100, ...ALL });
        expect(fetched).toMatchObject({ namespace: name, metadata: { i } });
        expect(hits.map((h) => [h.id, h.namespace, h.metadata])).toEqual([
          ['same-id', name, { i }],
        ]);
        for (const r of stub.requests) expect(namespaceOf(r)).toBe(`vg-${base.tenantUid}~${name}`);
        const query = stub.requests.find((r) => r.path === '/query')!;
        expect((query.body as { filter: unknown }).filter).toEqual({
          _vg_tenant: { $eq: base.tenantUid },
          _vg_ns: { $eq: name },
        });
      }
      // Forty namespaces, one record each, the same id everywhere; the default one is empty.
      for (const name of names) expect(await backend.count(inNamespace(base, name))).toBe(1);
      expect(await backend.count(base)).toBe(0);
      await backend.erase(base);
    });

    it('refuses a namespace name outside the alphabet with a 400 before any request', async () => {
      const backend = backends.make(stubOptions(stub));
      const base = await createTenant(backend, 'dedicated_index', COSINE4);
      const bad = ['__default__', '_vg_ns', '-x', 'a~b', 'a/b', '../x', 'a b', 'x'.repeat(65), 'é'];
      const v = Float32Array.from([1, 0, 0, 0]);
      stub.reset();
      for (const name of bad) {
        const scope = inNamespace(base, name);
        for (const call of [
          () => backend.upsert(scope, [{ id: 'x', values: v }]),
          () => backend.fetch(scope, ['x'], ALL),
          () => backend.search(scope, { vector: v, topK: 1, ...ALL }),
          () => backend.delete(scope, { kind: 'all' }),
          () => backend.count(scope),
        ]) {
          const err = await rejectionOf(call);
          expect(err).toBeInstanceOf(BadRequestError);
          expect((err as VecgateError).extras.field).toBe('namespace');
        }
      }
      expect(stub.requests.filter((r) => r.host !== 'control')).toEqual([]);
      await backend.erase(base);
    });

    it('reports the namespace read back from each record, and deletes by id only what carries the scope’s', async () => {
      const backend = backends.make(stubOptions(stub));
      const base = await createTenant(backend, 'namespace', COSINE4);
      const uid = base.tenantUid;
      const docs = inNamespace(base, 'docs');
      stub.index('vg-shared-4-cosine').seed(`vg-${uid}~docs`, [
        { id: 'unmarked', values: [1, 0, 0, 0], metadata: { _vg_tenant: uid } },
        { id: 'other', values: [0, 1, 0, 0], metadata: { _vg_tenant: uid, _vg_ns: 'notes' } },
        { id: 'odd', values: [0, 0, 1, 0], metadata: { _vg_tenant: uid, _vg_ns: 7 } },
      ]);
      const fetched = await backend.fetch(docs, ['unmarked', 'other', 'odd'], NONE);
      expect(fetched.map((r) => [r.id, r.tenantUid, r.namespace])).toEqual([
        ['unmarked', uid, ''],
        ['other', uid, 'notes'],
        ['odd', uid, '_vg_unreadable'],
      ]);
      stub.reset();
      await expect(
        backend.delete(docs, { kind: 'ids', ids: ['unmarked', 'other', 'odd'] }),
      ).resolves.toEqual({ deleted: 0 });
      expect(stub.requests.map((r) => r.path)).toEqual(['/vectors/fetch']);
      await backend.erase(base);
    });

    it("erases every namespace of the tenant, found by its uid in the index statistics, and nobody else's", async () => {
      const backend = backends.make(stubOptions(stub));
      const a = await createTenant(backend, 'namespace', COSINE4);
      const b = await createTenant(backend, 'namespace', COSINE4);
      const uid = a.tenantUid;
      const v = Float32Array.from([1, 0, 0, 0]);
      for (const scope of [
        a,
        inNamespace(a, 'docs'),
        inNamespace(a, 'notes'),
        b,
        inNamespace(b, 'docs'),
      ]) {
        await backend.upsert(scope, [{ id: 'r', values: v }]);
      }
      const index = stub.index('vg-shared-4-cosine');
      // Pinecone namespaces that only look like the tenant's (another application's).
      for (const lookalike of [`vg-${uid}x`, `vg-${uid}-docs`, `vg-${uid}~`, 'another']) {
        index.seed(lookalike, [{ id: 'keep', values: [1, 0, 0, 0] }]);
      }
      stub.reset();
      await expect(backend.erase(a)).resolves.toEqual({
        places: [{ place: `pinecone:vg-shared-4-cosine/vg-${uid}`, remaining: 0 }],
      });
      const calls = stub.requests.map((r) => `${r.method} ${r.path} ${String(namespaceOf(r))}`);
      expect(calls[0]).toBe('POST /describe_index_stats undefined');
      expect(calls.slice(1, 4).sort()).toEqual([
        `POST /vectors/delete vg-${uid}`,
        `POST /vectors/delete vg-${uid}~docs`,
        `POST /vectors/delete vg-${uid}~notes`,
      ]);
      expect(calls.slice(4)).toEqual(['POST /describe_index_stats undefined']);
      for (const r of stub.requests.filter((q) => q.path === '/vectors/delete')) {
        expect(r.body).toEqual({ deleteAll: true, namespace: namespaceOf(r) });
      }
      for (const scope of [a, inNamespace(a, 'docs'), inNamespace(a, 'notes')]) {
        expect(await backend.count(scope)).toBe(0);
      }
      expect(await backend.count(b)).toBe(1);
      expect(await backend.count(inNamespace(b, 'docs'))).toBe(1);
      for (const lookalike of [`vg-${uid}x`, `vg-${uid}-docs`, `vg-${uid}~`, 'another']) {
        expect(index.namespaces.get(lookalike)?.size).toBe(1);
        index.namespaces.delete(lookalike);
      }
      // A namespace whose delete Pinecone has not applied yet is reported, not hidden.
      await backend.upsert(inNamespace(a, 'late'), [{ id: 'r', values: v }]);
      stub.override = (r) => (r.path === '/vectors/delete' ? { status: 200, body: {} } : undefined);
      const report = await backend.erase(a);
      expect(report.places[0]!.remaining).toBe(1);
      stub.override = undefined;
      await backend.erase(a);
      await backend.erase(b);
    });

    it('serves the records the previous release wrote as the default namespace, in place', async () => {
      const backend = backends.make(stubOptions(stub));
      const uid = newUid();
      // The placement the previous release planned, and the records it wrote (its upsert
      // payload, as its wire test pinned it): no namespace field, in the tenant's namespace.
      const placement = {
        backend: 'pinecone',
        strategy: 'namespace',
        location: { index: 'vg-shared-4-cosine', namespace: `vg-${uid}` },
      } as const;
      expect(
        backend.plan({ tenantId: 'old', tenantUid: uid, strategy: 'namespace', space: COSINE4 }),
      ).toEqual(placement);
      const scope = makeTenantScope({ tenantId: 'old', tenantUid: uid, placement, space: COSINE4 });
      const metadata = SAMPLE_METADATA;
      stub.index('vg-shared-4-cosine').seed(`vg-${uid}`, defaultNamespaceRecords(uid));

      expect(await backend.fetch(scope, ['r1', 'r2'], ALL)).toEqual([
        {
          id: 'r1',
          tenantUid: uid,
          namespace: '',
          values: Float32Array.from([1, 0, 0, 0]),
          metadata,
        },
        {
          id: 'r2',
          tenantUid: uid,
          namespace: '',
          values: Float32Array.from([0, 1, 0, 0]),
          metadata: {},
        },
      ]);
      const red = await backend.search(scope, {
        vector: Float32Array.from([0, 1, 0, 0]),
        topK: 10,
        filter: { op: '$eq', field: 'color', value: 'red' },
        ...NONE,
      });
      expect(red.map((h) => [h.id, h.namespace])).toEqual([['r1', '']]);
      expect(await backend.count(scope)).toBe(2);
      // Named namespaces start empty; the old records are in none of them.
      const docs = inNamespace(scope, 'docs');
      expect(await backend.fetch(docs, ['r1', 'r2'], ALL)).toEqual([]);
      expect(await backend.count(docs)).toBe(0);
      // New writes to the default namespace sit beside the old ones, written the same way.
      stub.reset();
      await backend.upsert(scope, [{ id: 'r3', values: Float32Array.from([0, 0, 1, 0]) }]);
      expect(stub.requests[0]!.body).toEqual({
        vectors: [{ id: 'r3', values: [0, 0, 1, 0], metadata: { _vg_tenant: uid } }],
        namespace: `vg-${uid}`,
      });
      await expect(backend.delete(scope, { kind: 'ids', ids: ['r2'] })).resolves.toEqual({
        deleted: 1,
      });
      expect(
        (
          await backend.search(scope, {
            vector: Float32Array.from([1, 1, 1, 0]),
            topK: 10,
            ...NONE,
          })
        )
          .map((h) => h.id)
          .sort(),
      ).toEqual(['r1', 'r3']);
      await expect(backend.erase(scope)).resolves.toEqual({
        places: [{ place: `pinecone:vg-shared-4-cosine/vg-${uid}`, remaining: 0 }],
      });
    });
  });

  describe('dedicated_index strategy', () => {
    async function expectNoIndex(name: string): Promise<void> {
      expect(stub.indexes.has(name)).toBe(false);
      await Promise.resolve();
    }

    it("creates the tenant's own index through the control plane, then sends every data-plane call to its host and namespace", async () => {
      const backend = backends.make(stubOptions(stub));
      stub.readyAfterDescribes = 2;
      const uid = newUid();
      const name = dedicatedIndexName('vg-', uid);
      expect(name).toMatch(/^vg-[0-9a-f]{24}$/);
      const scope = await createTenant(backend, 'dedicated_index', COSINE4, uid);
      stub.readyAfterDescribes = 0;
      expect(scope.placement.location).toEqual({
        index: name,
        namespace: `vg-${uid}`,
        credentials: 'project',
      });
      const control = stub.to('control').map((r) => `${r.method} ${r.path}`);
      expect(control).toEqual([
        `GET /indexes/${name}`, // capacity: no such index yet
        'GET /indexes', // capacity: indexes in the project
        `GET /indexes/${name}`, // provision
        'POST /indexes',
        `GET /indexes/${name}`, // not ready
        `GET /indexes/${name}`, // ready
      ]);
      expect(stub.to('control').find((r) => r.method === 'POST')!.body).toEqual({
        name,
        dimension: 4,
        metric: 'cosine',
        deletion_protection: 'disabled',
        tags: { vg_tenant: uid },
        spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
        vector_type: 'dense',
      });
      stub.reset();

      const v = Float32Array.from([0, 0, 1, 0]);
      await backend.upsert(scope, [{ id: 'd1', values: v, metadata: { k: 'v' } }]);
      await backend.fetch(scope, ['d1'], ALL);
      const hits = await backend.search(scope, {
        vector: v,
        topK: 3,
        filter: { op: '$eq', field: 'k', value: 'v' },
        ...ALL,
      });
      expect(hits.map((h) => [h.id, h.tenantUid])).toEqual([['d1', uid]]);
      await backend.delete(scope, { kind: 'ids', ids: ['d1'] });
      await backend.count(scope);
      expect(stub.requests.every((r) => r.host === name)).toBe(true);
      for (const r of stub.requests) {
        if (r.path !== '/describe_index_stats') expect(namespaceOf(r)).toBe(`vg-${uid}`);
        expect(r.headers['api-key']).toBe(PROJECT_KEY);
      }
      const query = stub.requests.find((r) => r.path === '/query')!;
      expect((query.body as { filter: unknown }).filter).toEqual({
        $and: [
          { _vg_tenant: { $eq: uid }, _vg_ns: { $exists: false } },
          { _vg_s_k: { $in: ['v'] } },
        ],
      });
      // Its other namespaces are Pinecone namespaces of its index, named as in a shared one.
      stub.reset();
      const docs = inNamespace(scope, 'docs');
      await backend.upsert(docs, [{ id: 'd1', values: v }]);
      const inDocs = await backend.search(docs, { vector: v, topK: 3, ...NONE });
      expect(inDocs.map((h) => [h.id, h.tenantUid, h.namespace])).toEqual([['d1', uid, 'docs']]);
      expect(stub.requests.map((r) => `${r.host} ${r.path} ${String(namespaceOf(r))}`)).toEqual([
        `${name} /vectors/upsert vg-${uid}~docs`,
        `${name} /query vg-${uid}~docs`,
      ]);
      expect((stub.requests[1]!.body as { filter: unknown }).filter).toEqual({
        _vg_tenant: { $eq: uid },
        _vg_ns: { $eq: 'docs' },
      });
      await backend.erase(scope);
    });

    it("uses the tenant's own API key from the secret provider, never the project key", async () => {
      const uid = newUid();
      const tenantKey = 'pcsk_tenant_own_project_key';
      const secrets = new EnvFileSecretProvider({
        env: { [`PINECONE_TENANT_KEY_${uid}`]: tenantKey },
        cacheTtlMs: 60_000,
      });
      const options = stubOptions(stub);
      const backend = backends.make(
        { ...options, dedicated: { ...options.dedicated!, credentials: 'tenant' } },
        { secrets },
      );
      const scope = await createTenant(backend, 'dedicated_index', COSINE4, uid);
      expect(scope.placement.location.credentials).toBe('tenant');
      await backend.upsert(scope, [{ id: 'x', values: Float32Array.from([1, 1, 0, 0]) }]);
      await backend.search(scope, { vector: Float32Array.from([1, 0, 0, 0]), topK: 1, ...NONE });
      await backend.erase(scope);
      // Capacity is not counted in a tenant's own project, so no listing is made.
      expect(stub.requests.map((r) => `${r.method} ${r.path}`)).not.toContain('GET /indexes');
      expect(stub.requests.length).toBeGreaterThan(5);
      for (const r of stub.requests) expect(r.headers['api-key']).toBe(tenantKey);
      expect(backend.clients.size.clients).toBe(1);

      // Without its key, the tenant is refused before any request, not served with the project key.
      stub.reset();
      const keyless = newUid();
      const err = await rejectionOf(() =>
        createTenant(backend, 'dedicated_index', COSINE4, keyless),
      );
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err.message).toContain(`PINECONE_TENANT_KEY_${keyless}`);
      expect(err.message).not.toContain(PROJECT_KEY);
      expect(stub.requests).toEqual([]);
    });

    it("refuses an index whose name collides with another tenant's, and never deletes it", async () => {
      const backend = backends.make(stubOptions(stub));
      const uid = newUid();
      const name = dedicatedIndexName('vg-', uid);
      const owner = newUid();
      await stub.addIndex(name, 4, 'cosine', { vg_tenant: owner });
      const placement = backend.plan({
        tenantId: 'victim',
        tenantUid: uid,
        strategy: 'dedicated_index',
        space: COSINE4,
      });
      const scope = makeTenantScope({
        tenantId: 'victim',
        tenantUid: uid,
        placement,
        space: COSINE4,
      });
      for (const call of [
        () => backend.checkCapacity(scope),
        () => backend.provision(scope),
        () => backend.upsert(scope, [{ id: 'x', values: Float32Array.from([1, 0, 0, 0]) }]),
        () => backend.count(scope),
      ]) {
        const err = await rejectionOf(call);
        expect((err as VecgateError).status).toBe(409);
        expect(err.message).toMatch(/was not created for tenant .*refusing to use or delete it/);
      }
      // Erasing the victim reports nothing of its own there and leaves the other index alone.
      await expect(backend.erase(scope)).resolves.toEqual({
        places: [{ place: `pinecone:${name}`, remaining: 0 }],
      });
      expect(stub.indexes.has(name)).toBe(true);
      // An index without an owner tag is refused, even for erasure.
      stub.index(name).tags!.vg_tenant = 'not-a-uid';
      expect((await rejectionOf(() => backend.erase(scope))) as VecgateError).toMatchObject({
        status: 409,
      });
      expect(stub.to('control').filter((r) => r.method !== 'GET')).toEqual([]);
      expect(stub.to(name)).toEqual([]);
    });

    it('erases by deleting the index and waiting until Pinecone no longer lists it; again is a no-op', async () => {
      const backend = backends.make(stubOptions(stub));
      const scope = await createTenant(backend, 'dedicated_index', COSINE4);
      const name = scope.placement.location.index!;
      await backend.upsert(scope, [{ id: 'x', values: Float32Array.from([1, 0, 0, 0]) }]);
      stub.reset();
      await expect(backend.erase(scope)).resolves.toEqual({
        places: [{ place: `pinecone:${name}`, remaining: 0 }],
      });
      expect(stub.requests.map((r) => `${r.host} ${r.method} ${r.path}`)).toEqual([
        `control GET /indexes/${name}`,
        `control DELETE /indexes/${name}`,
        `control GET /indexes/${name}`,
      ]);
      await expectNoIndex(name);
      stub.reset();
      await expect(backend.erase(scope)).resolves.toEqual({
        places: [{ place: `pinecone:${name}`, remaining: 0 }],
      });
      expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /indexes/${name}`]);
      // The erased tenant's data plane fails closed.
      const err = await rejectionOf(() => backend.count(scope));
      expect((err as VecgateError).status).toBe(502);
    });

    it("refuses a new index beyond the project's limit: 507 before anything is created", async () => {
      const options = stubOptions(stub);
      const limit = stub.indexes.size;
      const backend = backends.make({
        ...options,
        dedicated: { ...options.dedicated!, maxIndexes: limit },
      });
      const err = await rejectionOf(() => createTenant(backend, 'dedicated_index', COSINE4));
      expect((err as VecgateError).status).toBe(507);
      expect(err.message).toContain(`holds ${limit} indexes`);
      expect(stub.to('control').filter((r) => r.method === 'POST')).toEqual([]);
    });

    it('is not offered when no dedicated index settings are configured', () => {
      const backend = backends.make(stubOptions(stub, { dedicated: undefined }));
      expect(backend.supports('dedicated_index')).toBe(false);
      expect(() =>
        backend.plan({
          tenantId: 'x',
          tenantUid: newUid(),
          strategy: 'dedicated_index',
          space: COSINE4,
        }),
      ).toThrow(/not enabled/);
    });
  });

  describe('filter semantics', () => {
    let dir: string;
    let embedded: EmbeddedBackend;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'vg-pinecone-diff-'));
      embedded = new EmbeddedBackend({ directory: dir, cacheMb: 16, maxOpenFiles: 4 });
    });

    afterAll(async () => {
      await embedded.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('match exactly what the embedded backend matches, for random filters over mixed-type metadata', async () => {
      const backend = backends.make(stubOptions(stub));
      const space = { dimension: 8, metric: 'cosine' } as const;
      const uid = newUid();
      const viaPinecone = await createTenant(backend, 'namespace', space, uid);
      const placement = embedded.plan({
        tenantId: 'diff',
        tenantUid: uid,
        strategy: 'partition_key',
        space,
      });
      const viaEmbedded = makeTenantScope({ tenantId: 'diff', tenantUid: uid, placement, space });
      await embedded.provision(viaEmbedded);
      const next = rng(77);
      const records = Array.from({ length: 60 }, (_, i) => {
        const metadata = randomMetadata(next, i);
        return {
          id: `r${i}`,
          values: Float32Array.from({ length: 8 }, () => next() * 2 - 1),
          ...(metadata ? { metadata } : {}),
        };
      });
      await backend.upsert(viaPinecone, records);
      await embedded.upsert(viaEmbedded, records);
      const query = Float32Array.from({ length: 8 }, () => next() * 2 - 1);
      let nonTrivial = 0;
      for (let i = 0; i < 250; i++) {
        const filter = randomFilter(next, 0, i % 2 === 0);
        const ask = { vector: query, topK: 100, filter, ...ALL };
        const want = (await embedded.search(viaEmbedded, ask)).map((h) => h.id).sort();
        const got = (await backend.search(viaPinecone, ask)).map((h) => h.id).sort();
        expect({ filter, ids: got }).toEqual({ filter, ids: want });
        if (want.length > 0 && want.length < records.length) nonTrivial++;
      }
      expect(nonTrivial).toBeGreaterThan(80);
      // Deletes by filter count and remove the same records.
      for (let i = 0; i < 5; i++) {
        const filter = randomFilter(next, 0, true);
        const expected = await embedded.delete(viaEmbedded, { kind: 'filter', filter });
        await expect(backend.delete(viaPinecone, { kind: 'filter', filter })).resolves.toEqual(
          expected,
        );
        expect(await backend.count(viaPinecone)).toBe(await embedded.count(viaEmbedded));
      }
      // Metadata reads back exactly as written, nulls, nesting and mixed arrays included.
      const ids = records.map((r) => r.id);
      const fromEmbedded = new Map(
        (await embedded.fetch(viaEmbedded, ids, ALL)).map((r) => [r.id, r]),
      );
      for (const record of await backend.fetch(viaPinecone, ids, ALL)) {
        expect(record.metadata).toEqual(fromEmbedded.get(record.id)!.metadata);
        expect(Array.from(record.values!)).toEqual(
          Array.from(fromEmbedded.get(record.id)!.values!),
        );
      }
      await backend.erase(viaPinecone);
    });
  });
});

// The shared isolation suite, run against the stub's model of Pinecone through the real
// client, for both strategies (Pinecone Local, when a container runtime exists, runs it for
// real in test/conformance/pinecone.conformance.spec.ts).
describeIsolationConformance(
  'pinecone wire model (local stub, real client)',
  { strategies: ['namespace', 'dedicated_index'], namespaces: true },
  async () => {
    const stub = await startStub();
    const driver = new PineconeBackend(stubOptions(stub));
    return {
      driver,
      cleanup: async () => {
        await driver.close();
        await stub.close();
      },
    };
  },
);
