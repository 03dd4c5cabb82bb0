/**
 * Mutation fuzzing of every request surface (npm run test:fuzz).
 *
 * Starts the built gateway as a separate process (main port and the Qdrant listener), creates a
 * tenant with a Pinecone index and a Qdrant collection, then sends FUZZ_REQUESTS requests, each
 * a valid request of one of the routes below mutated at random: values replaced by other JSON
 * types, extremes, control and surrogate characters, operator and reserved names; keys removed
 * or added; arrays emptied or extended; query parameters appended. Tenant routes go with a JWT
 * (v1) or an API key (Pinecone, Qdrant); FUZZ_ADMIN=true fuzzes the admin routes instead. A
 * gateway that answers any request with a 5xx, or stops, fails the run (exit 1) and the first
 * such requests are printed whole, so that each can be replayed. FUZZ_SEED picks the sequence.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, GatewayProcess, quietProductionEnv } from '../support/gateway-process';
import { rng } from '../support/rng';
import { ScriptTokens } from '../support/script-tokens';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const ADMIN = process.env.FUZZ_ADMIN === 'true';
const SHOWN = 20;

const next = rng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

/** Values a mutation puts in place of another: every JSON type, edges, hostile strings. */
const ODD_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  -0,
  '',
  'x',
  'a'.repeat(300),
  '\u0000',
  '\ud800',
  '😀',
  ' ',
  '1',
  '$eq',
  '__proto__',
  'tenant',
  [],
  [null],
  [1, 'a'],
  [[[[1]]]],
  {},
  { $eq: 1 },
  { $in: [] },
  { $and: [] },
  { tenant: 'other' },
  { a: { b: { c: {} } } },
];
const ADDED_KEYS = [
  'extra',
  'tenant',
  'tenantId',
  '$or',
  'filter',
  'namespace',
  'exact',
  'limit',
  'offset',
  'with_vector',
  '_vg_tenant',
];
const ODD_NUMBERS = [0, -1, 0.5, 1e9, 2 ** 31, 10_001, Number.NaN];
const ODD_QUERIES = [
  'limit=-1',
  'limit=abc',
  'limit=1e3',
  'cursor=%00',
  'since=2026-13-01',
  'namespace=%E0%A4%A',
  'x=1',
  'ids=',
  'prefix=%ff',
  `tenantId=${'a'.repeat(100)}`,
  'namespace=__proto__',
];

function mutate(value: unknown): unknown {
  const r = next();
  if (r < 0.12) return pick(ODD_VALUES);
  if (Array.isArray(value)) {
    if (r < 0.2) return [];
    if (r < 0.27) return [...value, pick(ODD_VALUES)];
    if (r < 0.32) return value.slice(1);
    return value.map((item: unknown) => (next() < 0.3 ? mutate(item) : item));
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(out);
    if (r < 0.2 && keys.length > 0) delete out[pick(keys)];
    else if (r < 0.28) out[pick(ADDED_KEYS)] = pick(ODD_VALUES);
    for (const key of Object.keys(out)) if (next() < 0.35) out[key] = mutate(out[key]);
    return out;
  }
  if (typeof value === 'number' && r < 0.5) return pick(ODD_NUMBERS);
  return value;
}

type Credential = 'jwt' | 'key' | 'admin';

interface Seed {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly qdrant?: boolean;
  readonly as: Credential;
}

const V = [0.1, 0.2, 0.3, 0.4];
const SPEC = { serverless: { cloud: 'aws', region: 'us-east-1' } };
const FILTER = { a: { $eq: 1 } };

const TENANT_SEEDS: readonly Seed[] = [
  {
    as: 'jwt',
    method: 'POST',
    path: '/v1/search',
    body: { vector: V, topK: 3, includeMetadata: true, filter: FILTER, namespace: 'ns1' },
  },
  {
    as: 'jwt',
    method: 'PUT',
    path: '/v1/vectors',
    body: {
      vectors: [{ id: 'a', values: V, metadata: { a: 1, b: 'x', c: ['p'] } }],
      namespace: 'ns1',
    },
  },
  { as: 'jwt', method: 'POST', path: '/v1/vectors/delete', body: { ids: ['a'], namespace: 'ns1' } },
  { as: 'jwt', method: 'POST', path: '/v1/vectors/delete', body: { filter: { a: { $gt: 1 } } } },
  { as: 'jwt', method: 'GET', path: '/v1/vectors/a?namespace=ns1' },
  { as: 'jwt', method: 'GET', path: '/v1/stats' },
  { as: 'jwt', method: 'GET', path: '/v1/namespaces' },
  { as: 'jwt', method: 'PUT', path: '/v1/namespaces/ns2' },
  { as: 'jwt', method: 'GET', path: '/v1/audit?limit=5' },
  {
    as: 'key',
    method: 'POST',
    path: '/pinecone/data/idx/query',
    body: { vector: V, topK: 3, includeMetadata: true, filter: FILTER, namespace: 'ns1' },
  },
  { as: 'key', method: 'POST', path: '/pinecone/data/idx/query', body: { id: 'a', topK: 3 } },
  {
    as: 'key',
    method: 'POST',
    path: '/pinecone/data/idx/vectors/upsert',
    body: { vectors: [{ id: 'p', values: V, metadata: { a: 2 } }], namespace: 'ns1' },
  },
  {
    as: 'key',
    method: 'POST',
    path: '/pinecone/data/idx/vectors/update',
    body: { id: 'p', values: V, setMetadata: { a: 3 }, namespace: 'ns1' },
  },
  {
    as: 'key',
    method: 'POST',
    path: '/pinecone/data/idx/vectors/delete',
    body: { ids: ['p'], namespace: 'ns1' },
  },
  {
    as: 'key',
    method: 'POST',
    path: '/pinecone/data/idx/describe_index_stats',
    body: { filter: { a: 1 } },
  },
  { as: 'key', method: 'GET', path: '/pinecone/data/idx/vectors/fetch?ids=p&namespace=ns1' },
  { as: 'key', method: 'GET', path: '/pinecone/data/idx/vectors/list?prefix=p&limit=5' },
  {
    as: 'key',
    method: 'POST',
    path: '/pinecone/indexes',
    body: { name: 'idx2', dimension: 4, metric: 'cosine', spec: SPEC },
  },
  {
    as: 'key',
    qdrant: true,
    method: 'POST',
    path: '/collections/c/points/search',
    body: {
      vector: V,
      limit: 3,
      with_payload: true,
      filter: { must: [{ key: 'a', match: { value: 1 } }] },
    },
  },
  {
    as: 'key',
    qdrant: true,
    method: 'POST',
    path: '/collections/c/points/query',
    body: {
      query: V,
      limit: 3,
      with_payload: ['a'],
      filter: { should: [{ key: 'a', range: { gt: 0 } }] },
    },
  },
  {
    as: 'key',
    qdrant: true,
    method: 'PUT',
    path: '/collections/c/points?wait=true',
    body: { points: [{ id: 1, vector: V, payload: { a: 1, t: 'x' } }] },
  },
  {
    as: 'key',
    qdrant: true,
    method: 'PUT',
    path: '/collections/c/points',
    body: { batch: { ids: [2, 3], vectors: [V, V], payloads: [{ a: 1 }, { a: 2 }] } },
  },
  {
    as: 'key',
    qdrant: true,
    method: 'POST',
    path: '/collections/c/points/scroll',
    body: { limit: 3, offset: 1, with_vector: true, filter: { must_not: [{ has_id: [1] }] } },
  },
  {
    as: 'key',
    qdrant: true,
    method: 'POST',
    path: '/collections/c/points/count',
    body: { filter: { must: [{ key: 'a', match: { any: [1, 2] } }] }, exact: true },
  },
  {
    as: 'key',
    qdrant: true,
    method: 'POST',
    path: '/collections/c/points/delete',
    body: { points: [1] },
  },
  {
    as: 'key',
    qdrant: true,
    method: 'POST',
    path: '/collections/c/points',
    body: { ids: [1, 2], with_payload: true },
  },
  {
    as: 'key',
    qdrant: true,
    method: 'PUT',
    path: '/collections/c2',
    body: { vectors: { size: 4, distance: 'Cosine' } },
  },
  {
    as: 'key',
    qdrant: true,
    method: 'PUT',
    path: '/collections/c/index',
    body: { field_name: 'a', field_schema: 'integer' },
  },
];

const ADMIN_SEEDS: readonly Seed[] = [
  {
    as: 'admin',
    method: 'POST',
    path: '/v1/admin/tenants',
    body: { id: 'fz-t', tier: 'standard', dimension: 4, metric: 'cosine' },
  },
  {
    as: 'admin',
    method: 'PATCH',
    path: '/v1/admin/tenants/acme',
    body: { status: 'active', tier: 'standard' },
  },
  {
    as: 'admin',
    method: 'PATCH',
    path: '/v1/admin/tenants/acme',
    body: { backend: 'embedded', strategy: 'collection' },
  },
  {
    as: 'admin',
    method: 'POST',
    path: '/v1/admin/tenants/acme/api-keys',
    body: { name: 'k', roles: ['reader'], expiresInDays: 3 },
  },
  {
    as: 'admin',
    method: 'POST',
    path: '/v1/admin/tenants/acme/tokens',
    body: { subject: 'svc', roles: ['reader'], ttlSeconds: 60 },
  },
  {
    as: 'admin',
    method: 'POST',
    path: '/v1/admin/tenants/acme/search',
    body: { vector: V, topK: 2, reason: 'support case 1' },
  },
  {
    as: 'admin',
    method: 'POST',
    path: '/v1/admin/tenants/acme/qdrant-token',
    body: { roles: ['reader'] },
  },
  {
    as: 'admin',
    method: 'GET',
    path: '/v1/admin/audit?limit=3&tenantId=acme&since=2026-01-01T00:00:00Z',
  },
  { as: 'admin', method: 'GET', path: '/v1/admin/tenants?limit=2' },
  { as: 'admin', method: 'GET', path: '/v1/admin/tenants/acme/migration' },
];

async function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, text: await res.text() };
}

async function must(
  what: string,
  answer: Promise<{ status: number; text: string }>,
): Promise<string> {
  const { status, text } = await answer;
  if (status >= 300) throw new Error(`${what}: ${status} ${text}`);
  return text;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vecgate-fuzz-'));
  const secret = randomBytes(32).toString('base64url');
  const tokens = new ScriptTokens(secret);
  const qdrantPort = await freePort();
  const gateway = new GatewayProcess(
    await freePort(),
    {
      ...quietProductionEnv(secret),
      DATA_DIR: dataDir,
      QDRANT_API_PORT: String(qdrantPort),
      QDRANT_API_HOST: '127.0.0.1',
    },
    join(dataDir, 'gateway.log'),
  );
  await gateway.start();
  const qdrant = `http://127.0.0.1:${qdrantPort}`;
  let failed = false;
  try {
    const admin = { authorization: `Bearer ${tokens.platform()}` };
    const tenant = JSON.stringify({ id: 'acme', dimension: 4, metric: 'cosine' });
    await must('tenant', send(`${gateway.base}/v1/admin/tenants`, 'POST', admin, tenant));
    const created = await must(
      'api key',
      send(
        `${gateway.base}/v1/admin/tenants/acme/api-keys`,
        'POST',
        admin,
        JSON.stringify({ name: 'fuzz', roles: ['writer', 'reader', 'tenant_admin'] }),
      ),
    );
    const key = { 'api-key': (JSON.parse(created) as { key: string }).key };
    const index = JSON.stringify({ name: 'idx', dimension: 4, metric: 'cosine', spec: SPEC });
    await must('index', send(`${gateway.base}/pinecone/indexes`, 'POST', key, index));
    const collection = JSON.stringify({ vectors: { size: 4, distance: 'Cosine' } });
    await must('collection', send(`${qdrant}/collections/c`, 'PUT', key, collection));
    const credentials: Record<Credential, Record<string, string>> = {
      admin,
      key,
      jwt: {
        authorization: `Bearer ${tokens.tenant('acme', ['writer', 'reader', 'tenant_admin'])}`,
      },
    };
    const seeds = ADMIN ? ADMIN_SEEDS : TENANT_SEEDS;
    const statuses = new Map<number, number>();
    let serverErrors = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const seed = pick(seeds);
      const body =
        seed.body === undefined
          ? undefined
          : JSON.stringify(next() < 0.9 ? mutate(seed.body) : seed.body);
      let path = seed.path;
      if (next() < 0.15) path += `${path.includes('?') ? '&' : '?'}${pick(ODD_QUERIES)}`;
      const url = `${seed.qdrant ? qdrant : gateway.base}${path}`;
      const { status, text } = await send(url, seed.method, credentials[seed.as], body);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) {
        serverErrors++;
        if (serverErrors <= SHOWN)
          console.log(`${status} ${seed.method} ${url} ${body ?? ''}\n  => ${text.slice(0, 500)}`);
      }
    }
    const alive = gateway.alive();
    const counted = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
    console.log(
      `${REQUESTS} ${ADMIN ? 'admin' : 'tenant'} requests (seed ${SEED}): ${counted.join(', ')}; ` +
        `5xx ${serverErrors} (must be 0); gateway ${alive ? 'still running' : 'STOPPED'}`,
    );
    failed = serverErrors > 0 || !alive;
  } finally {
    await gateway.stop();
    if (failed) console.log(`data directory and gateway log kept: ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
