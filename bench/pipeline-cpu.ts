/**
 * `npx tsx bench/pipeline-cpu.ts > /dev/null` (after `npm run build`): what the gateway's own
 * request pipeline costs the event loop per tenant-plane search, without sockets or a load
 * generator sharing the cores. The built gateway runs in this process (production settings,
 * async audit, audit log on; its log lines go to standard output, hence the redirect); searches
 * are injected one at a time (Fastify's `inject`) and, for comparison, the same queries are
 * passed straight to the tenant store the gateway routes to. For each, the event loop's busy
 * time per call (`performance.eventLoopUtilization`) and the wall-clock p50. The difference of
 * the busy times is the pipeline's CPU on the main thread: authentication, guards, validation,
 * result checks, audit, serialisation. On Linux, also the CPU time per call of each thread of
 * the process (from /proc/self/task): the main thread, the embedded engine's worker (the thread
 * busiest during the direct calls), and every other thread together (the audit commit worker,
 * V8's garbage-collection and compiler threads). Figures go to standard error.
 *
 * Tunables (environment): BENCH_PIPELINE_MAIN (a built entry point, to measure another build),
 * BENCH_PIPELINE_CALLS (4000 per round), BENCH_PIPELINE_ROUNDS (5), BENCH_PIPELINE_AUTH
 * (`jwt` or `key`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { FastifyInstance } from 'fastify';
import { MAIN } from '../test/support/build-output';
import { mint, TENANT } from '../scripts/bench/targets';
import { randomVectors } from '../scripts/bench/measure';
import { percentile, tunable } from './engine-support';

const ENTRY = resolve(process.env.BENCH_PIPELINE_MAIN ?? MAIN);
const BUILD = resolve(dirname(ENTRY), '../../..');
const CALLS = tunable('BENCH_PIPELINE_CALLS', 4000);
const ROUNDS = tunable('BENCH_PIPELINE_ROUNDS', 5);
const AUTH = process.env.BENCH_PIPELINE_AUTH === 'key' ? 'key' : 'jwt';
const VECTORS = 10_000;
const DIMENSION = 128;

interface Round {
  readonly busyUs: number;
  readonly p50Us: number;
  /** CPU microseconds per call by thread id (Linux; empty elsewhere). */
  readonly threadUs: ReadonlyMap<string, number>;
}

const TASKS = '/proc/self/task';
/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User plus system CPU ticks of each thread of this process, by thread id. */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  if (!existsSync(TASKS)) return ticks;
  for (const tid of readdirSync(TASKS)) {
    try {
      const stat = readFileSync(`${TASKS}/${tid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) in parentheses: utime is the
      // 12th of them, stime the 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ticks;
}

const say = (line: string): void => void process.stderr.write(`[pipeline] ${line}\n`);
const median = (xs: readonly number[]): number => percentile(xs, 50);

/** Busy microseconds of the event loop per call, and the p50 of the calls' wall time. */
async function measure(calls: number, call: (i: number) => Promise<void>): Promise<Round> {
  const wall: number[] = [];
  const ticksBefore = threadTicks();
  const before = performance.eventLoopUtilization();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await call(i);
    wall.push(performance.now() - t0);
  }
  const used = performance.eventLoopUtilization(before);
  const threadUs = new Map<string, number>();
  for (const [tid, ticks] of threadTicks()) {
    const spent = ticks - (ticksBefore.get(tid) ?? 0);
    if (spent > 0) threadUs.set(tid, (spent * 1e6) / TICKS_PER_SECOND / calls);
  }
  return { busyUs: (used.active * 1000) / calls, p50Us: median(wall) * 1000, threadUs };
}

/** A round's CPU per call: the main thread, the engine worker, and every other thread. */
function cpuSplit(round: Round, engineTid: string | undefined) {
  const main = round.threadUs.get(String(process.pid)) ?? 0;
  const engine = engineTid === undefined ? 0 : (round.threadUs.get(engineTid) ?? 0);
  let all = 0;
  for (const us of round.threadUs.values()) all += us;
  return { main, engine, other: all - main - engine };
}

/** The thread other than the main one that spent the most CPU in a round of direct calls. */
function busiestWorker(round: Round): string | undefined {
  let busiest: [string, number] | undefined;
  for (const [tid, us] of round.threadUs) {
    if (tid !== String(process.pid) && (!busiest || us > busiest[1])) busiest = [tid, us];
  }
  return busiest?.[0];
}

async function main(): Promise<void> {
  await import('reflect-metadata');
  const factory = (await import(join(BUILD, 'apps/gateway/src/app.factory.js'))) as {
    createApp(config: unknown): Promise<NestFastifyApplication>;
  };
  const { loadGatewayConfig } = (await import(
    join(BUILD, 'apps/gateway/src/config/gateway.config.js')
  )) as { loadGatewayConfig(env: Record<string, string>): unknown };
  const isolation = (await import(join(BUILD, 'libs/isolation/src/index.js'))) as {
    TenantVectorStore: abstract new () => unknown;
    makeTenantScope(input: unknown): unknown;
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'vecgate-pipeline-'));
  const secret = randomBytes(32).toString('base64url');
  const app = await factory.createApp(
    loadGatewayConfig({
      NODE_ENV: 'production',
      JWT_SECRET: secret,
      DATA_DIR: dataDir,
      METRICS_PORT: 'off',
      AUDIT_MODE: 'async',
    }),
  );
  try {
    const send = async (method: string, url: string, token: string, body?: unknown) => {
      const answer = await app.inject({
        method: method as 'POST',
        url,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      if (answer.statusCode >= 300) throw new Error(`${method} ${url}: ${answer.body}`);
      return answer.json<Record<string, unknown>>();
    };
    const admin = mint({ platform: true, roles: 'platform_admin', subject: 'bench' }, secret);
    const tenant = await send('POST', '/v1/admin/tenants', admin, {
      id: TENANT,
      backend: 'embedded',
      strategy: 'partition_key',
      dimension: DIMENSION,
      metric: 'cosine',
    });
    const writer = mint({ tenant: TENANT, roles: 'writer', subject: 'bench' }, secret);
    const data = randomVectors(VECTORS, DIMENSION, 42);
    for (let at = 0; at < data.length; at += 1000) {
      const vectors = data.slice(at, at + 1000).map((values, j) => ({
        id: `v${at + j}`,
        values,
        metadata: { category: `c${(at + j) % 10}`, n: at + j },
      }));
      await send('PUT', '/v1/vectors', writer, { vectors });
    }
    let reader = mint({ tenant: TENANT, roles: 'reader', subject: 'bench' }, secret);
    if (AUTH === 'key') {
      const key = await send('POST', `/v1/admin/tenants/${TENANT}/api-keys`, admin, {
        name: 'bench-reader',
        roles: ['reader'],
      });
      reader = String(key.key);
    }
    const queries = randomVectors(32, DIMENSION, 4242);
    const bodies = queries.map((vector) =>
      JSON.stringify({ vector, topK: 10, includeMetadata: true }),
    );
    const headers = { authorization: `Bearer ${reader}`, 'content-type': 'application/json' };
    /** Searches injected into a Fastify instance, the i-th query of the cycle per call. */
    const searching =
      (target: Pick<FastifyInstance, 'inject'>) =>
      async (i: number): Promise<void> => {
        const answer = await target.inject({
          method: 'POST',
          url: '/v1/search',
          headers,
          payload: bodies[i % bodies.length],
        });
        if (answer.statusCode !== 200) throw new Error(`search: ${answer.body}`);
      };
    const viaGateway = searching(app);
    const store = app.get<{ search(scope: unknown, query: unknown): Promise<unknown[]> }>(
      isolation.TenantVectorStore,
    );
    const scope = isolation.makeTenantScope({
      tenantId: tenant.id,
      tenantUid: tenant.uid,
      placement: { backend: tenant.backend, strategy: tenant.strategy, location: tenant.location },
      space: { dimension: DIMENSION, metric: 'cosine' },
    });
    const prepared = queries.map((q) => ({
      vector: Float32Array.from(q),
      topK: 10,
      includeMetadata: true,
      includeValues: false,
    }));
    const direct = async (i: number): Promise<void> => {
      const found = await store.search(scope, prepared[i % prepared.length]);
      if (found.length !== 10) throw new Error('direct search returned too few matches');
    };
    // The transport alone: a bare Fastify route answering the gateway's own answer, injected the
    // same way.
    const sample = (
      await app.inject({ method: 'POST', url: '/v1/search', headers, payload: bodies[0] })
    ).body;
    const bare = Fastify({ logger: false });
    bare.post('/v1/search', (_request, reply) => {
      void reply.type('application/json; charset=utf-8').send(sample);
    });
    await bare.ready();
    const viaBare = searching(bare);
    for (const warm of [viaGateway, direct, viaBare]) await measure(CALLS, warm);
    const runs = { gateway: [] as Round[], direct: [] as Round[], bare: [] as Round[] };
    for (let r = 0; r < ROUNDS; r++) {
      const g = await measure(CALLS, viaGateway);
      const d = await measure(CALLS, direct);
      const b = await measure(CALLS, viaBare);
      runs.gateway.push(g);
      runs.direct.push(d);
      runs.bare.push(b);
      say(
        `round ${r + 1}: gateway ${g.busyUs.toFixed(0)} µs busy, p50 ${g.p50Us.toFixed(0)} µs; ` +
          `direct ${d.busyUs.toFixed(0)} / ${d.p50Us.toFixed(0)} µs; bare route ${b.busyUs.toFixed(0)} / ${b.p50Us.toFixed(0)} µs`,
      );
      const engine = busiestWorker(d);
      if (engine !== undefined) {
        const split = (round: Round): string => {
          const { main, engine: worker, other } = cpuSplit(round, engine);
          return `main ${main.toFixed(0)}, engine worker ${worker.toFixed(0)}, other threads ${other.toFixed(0)}`;
        };
        say(`  CPU µs per call: gateway ${split(g)}; direct ${split(d)}; bare route ${split(b)}`);
      }
    }
    const over = (pick: (r: Round) => number): number =>
      median(
        runs.gateway.map(
          (g, i) => pick(g) - pick(runs.direct[i] as Round) - pick(runs.bare[i] as Round),
        ),
      );
    say(
      `${ENTRY} (${AUTH}): the pipeline adds ${over((r) => r.busyUs).toFixed(0)} µs of event-loop ` +
        `time and ${over((r) => r.p50Us).toFixed(0)} µs of p50 per search over the direct call ` +
        `and the bare route (median of ${ROUNDS} rounds of ${CALLS})`,
    );
    const engine = busiestWorker(runs.direct[0] as Round);
    if (engine !== undefined) {
      const extra = (pick: 'main' | 'engine' | 'other'): string =>
        median(
          runs.gateway.map(
            (g, i) =>
              cpuSplit(g, engine)[pick] -
              cpuSplit(runs.direct[i] as Round, engine)[pick] -
              (pick === 'main' ? cpuSplit(runs.bare[i] as Round, engine).main : 0),
          ),
        ).toFixed(0);
      say(
        `CPU per search beyond the direct call (and, on the main thread, the bare route): main ` +
          `thread ${extra('main')} µs, engine worker ${extra('engine')} µs, other threads ` +
          `${extra('other')} µs (median of ${ROUNDS} rounds; /proc counts in 10 ms ticks)`,
      );
    }
    await bare.close();
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[pipeline] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
