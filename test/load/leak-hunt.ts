/**
 * Leak hunt under load (npm run test:leaks).
 *
 * Starts the built gateway as a separate process, creates LEAK_TENANTS tenants spread over
 * every strategy of the enabled backends, gives each its own marked records (with ids that
 * other tenants also use), then runs LEAK_OPS mixed searches, fetches and upserts from
 * LEAK_CLIENTS concurrent clients with tokens of random tenants. Every returned record is
 * checked against the caller's tenant. Prints operations, leaks (must be 0), 5xx (must be 0),
 * throughput and p50/p99 latency; exits 1 on any leak or 5xx. LEAK_BACKEND=pgvector puts
 * every tier on pgvector (PGlite, or LEAK_PGVECTOR_URL); see leak-backends.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, GatewayProcess, quietProductionEnv } from '../support/gateway-process';
import { leakBackend } from './leak-backends';
import { ScriptTokens } from '../support/script-tokens';

const TENANTS = Number(process.env.LEAK_TENANTS ?? 1000);
const OPS = Number(process.env.LEAK_OPS ?? 100_000);
const CLIENTS = Number(process.env.LEAK_CLIENTS ?? 16);
const RECORDS = Number(process.env.LEAK_RECORDS ?? 10);
/** Share of operations that are upserts; the rest are 2/3 searches, 1/3 fetches. */
const UPSERTS = Number(process.env.LEAK_UPSERT_SHARE ?? 0.1);
const DIM = 16;
const SHARED_IDS = ['common-0', 'common-1', 'common-2'];
const TIERS = ['enterprise', 'premium', 'standard'] as const;

interface Match {
  id: string;
  metadata?: { owner?: string };
}

const counts = {
  ops: 0,
  searches: 0,
  fetches: 0,
  upserts: 0,
  records: 0,
  leaks: 0,
  serverErrors: 0,
  unexpected: 0,
};
const latencies: number[] = [];
const leaks: string[] = [];

function vector(seed: number): number[] {
  return Array.from({ length: DIM }, (_, i) => Math.sin(seed * 0.37 + i) + 1.1);
}

async function send(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const started = process.hrtime.bigint();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  if (res.status >= 500) counts.serverErrors++;
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

function leak(caller: string, what: string): void {
  counts.leaks++;
  if (leaks.length < 20) leaks.push(`${caller} received ${what}`);
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vecgate-leaks-'));
  const secret = randomBytes(32).toString('base64url');
  const tokens = new ScriptTokens(secret);
  const backend = await leakBackend();
  const gateway = new GatewayProcess(
    await freePort(),
    {
      ...quietProductionEnv(secret),
      DATA_DIR: dataDir,
      AUDIT_MODE: process.env.LEAK_AUDIT_MODE ?? 'durable',
      ...backend.env,
    },
    join(dataDir, 'gateway.log'),
  );
  try {
    await gateway.start();
  } catch (err) {
    await backend.stop();
    throw err;
  }
  const ids = Array.from({ length: TENANTS }, (_, i) => `lt-${i}`);
  const readers = new Map<string, string>();
  const writers = new Map<string, string>();
  const admin = tokens.platform();
  const setupStarted = Date.now();
  try {
    await pool(ids, 8, async (id) => {
      const tier = TIERS[Number(id.slice(3)) % TIERS.length];
      const created = await send(gateway.base, 'POST', '/v1/admin/tenants', admin, {
        id,
        tier,
        dimension: DIM,
        metric: 'cosine',
      });
      if (created.status !== 201)
        throw new Error(`creating ${id}: ${created.status} ${JSON.stringify(created.json)}`);
      readers.set(id, tokens.tenant(id, ['reader']));
      writers.set(id, tokens.tenant(id, ['writer']));
      const seed = Number(id.slice(3)) * 1000;
      const vectors = [
        ...Array.from({ length: RECORDS }, (_, i) => ({
          id: `${id}-${i}`,
          values: vector(seed + i),
          metadata: { owner: id, n: i },
        })),
        ...SHARED_IDS.map((shared, i) => ({
          id: shared,
          values: vector(seed + 500 + i),
          metadata: { owner: id, n: 100 + i },
        })),
      ];
      const put = await send(gateway.base, 'PUT', '/v1/vectors', writers.get(id) as string, {
        vectors,
      });
      if (put.status !== 200) throw new Error(`seeding ${id}: ${put.status}`);
    });
    const setupSeconds = (Date.now() - setupStarted) / 1000;
    console.log(
      `setup: ${TENANTS} tenants (${TIERS.join(', ')} tiers), ${TENANTS * (RECORDS + SHARED_IDS.length)} records in ${setupSeconds.toFixed(0)} s`,
    );
    latencies.length = 0;
    counts.serverErrors = 0;

    const started = Date.now();
    let issued = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        let n = 0;
        while (issued < OPS) {
          issued++;
          n++;
          const caller = ids[Math.floor(Math.random() * ids.length)] as string;
          const other = ids[Math.floor(Math.random() * ids.length)] as string;
          const roll = Math.random();
          if (roll < ((1 - UPSERTS) * 2) / 3) {
            const filter =
              Math.random() < 0.5
                ? { n: { $lt: Math.floor(Math.random() * 12) } }
                : Math.random() < 0.5
                  ? { owner: other }
                  : undefined;
            const res = await send(
              gateway.base,
              'POST',
              '/v1/search',
              readers.get(caller) as string,
              {
                vector: vector(Math.random() * 1e6),
                topK: 20,
                includeMetadata: true,
                ...(filter ? { filter } : {}),
              },
            );
            counts.searches++;
            if (res.status !== 200) {
              counts.unexpected++;
              continue;
            }
            for (const match of (res.json as { matches: Match[] }).matches) {
              counts.records++;
              if (match.metadata?.owner !== caller)
                leak(caller, `record ${match.id} of ${match.metadata?.owner} in a search`);
            }
            if (
              filter &&
              'owner' in filter &&
              other !== caller &&
              (res.json as { matches: Match[] }).matches.length > 0
            ) {
              leak(caller, `matches for a filter on ${other}'s owner field`);
            }
          } else if (roll < 1 - UPSERTS) {
            const wanted =
              Math.random() < 0.4
                ? (SHARED_IDS[n % SHARED_IDS.length] as string)
                : `${Math.random() < 0.5 ? caller : other}-${n % RECORDS}`;
            const res = await send(
              gateway.base,
              'GET',
              `/v1/vectors/${encodeURIComponent(wanted)}`,
              readers.get(caller) as string,
            );
            counts.fetches++;
            const own = wanted.startsWith(`${caller}-`) || SHARED_IDS.includes(wanted);
            if (res.status === 200) {
              counts.records++;
              const owner = (res.json as Match).metadata?.owner;
              if (owner !== caller) leak(caller, `record ${wanted} of ${owner} by fetch`);
            } else if (res.status !== 404 || own) {
              counts.unexpected++;
            }
          } else {
            const id = `${caller}-x${client}-${n}`;
            const res = await send(
              gateway.base,
              'PUT',
              '/v1/vectors',
              writers.get(caller) as string,
              {
                vectors: [
                  {
                    id,
                    values: vector(n + client * 1e5),
                    metadata: { owner: caller, n: 1000 + n },
                  },
                ],
              },
            );
            counts.upserts++;
            if (res.status !== 200) counts.unexpected++;
          }
          counts.ops++;
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number): string =>
      (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN).toFixed(
        2,
      );
    console.log('');
    console.log(
      `machine              ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, node ${process.version}`,
    );
    console.log(`backend              ${backend.name}`);
    console.log(`tenants              ${TENANTS}`);
    console.log(
      `operations           ${counts.ops} (searches ${counts.searches}, fetches ${counts.fetches}, upserts ${counts.upserts})`,
    );
    console.log(`records checked      ${counts.records}`);
    console.log(`leaks found          ${counts.leaks}`);
    console.log(`5xx answers          ${counts.serverErrors}`);
    console.log(`other unexpected     ${counts.unexpected}`);
    console.log(
      `throughput           ${(counts.ops / seconds).toFixed(0)} ops/s over ${seconds.toFixed(0)} s with ${CLIENTS} clients`,
    );
    console.log(`latency              p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`);
    for (const line of leaks) console.error(`LEAK ${line}`);
    if (counts.leaks > 0 || counts.serverErrors > 0 || counts.unexpected > 0) {
      console.error(`\nFAILED; data directory kept at ${dataDir}`);
      process.exitCode = 1;
    } else {
      console.log('\nOK: no record of another tenant came back, no 5xx.');
    }
  } finally {
    await gateway.stop();
    await backend.stop();
    if (!process.exitCode) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
