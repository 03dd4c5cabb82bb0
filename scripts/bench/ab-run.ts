/**
 * Two builds of the gateway, A and B, under the same load, run after run in alternating order:
 * `tsx scripts/bench/ab-run.ts <main.js of A> <main.js of B>`. On a machine whose load changes
 * from one minute to the next, figures taken minutes apart do not compare; runs interleaved a
 * few seconds apart, and their medians, do. Besides latency and throughput, each run reports the
 * CPU time the gateway process spent per search (from /proc, Linux only), for its main thread
 * and for its other threads (engine workers, the audit commit worker, V8's GC threads): under
 * load, CPU per request moves less than latency does.
 *
 * AB_ROUNDS (3) rounds of AB_SECONDS (5) s per build and connection count (AB_CONNECTIONS,
 * "1,8"); the audit mode is the first of BENCH_MODES; the data set is the bench's.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load, log, randomVectors, SearchRequest } from './measure';
import { benchSettings } from './settings';
import { BenchServer, loadTenant, mint, searchRequests, startGateway, TENANT } from './targets';

interface Target {
  readonly name: string;
  readonly server: BenchServer;
  readonly requests: SearchRequest[];
}

interface Sample {
  readonly p50: number;
  readonly rps: number;
  readonly mainUs: number;
  readonly otherUs: number;
}

/** CPU seconds (user + system) of a process's main thread and of its other threads. */
function threadCpu(pid: number): { main: number; others: number } {
  const ticks = Number(process.env.CLK_TCK ?? 100);
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / ticks;
    if (Number(tid) === pid) main += seconds;
    else others += seconds;
  }
  return { main, others };
}

async function measure(target: Target, connections: number, seconds: number): Promise<Sample> {
  const pid = target.server.pid as number;
  const before = threadCpu(pid);
  const run = await load(target.server.base, target.requests, connections, seconds);
  const after = threadCpu(pid);
  const searches = run.count;
  return {
    p50: run.p50,
    rps: run.rps,
    mainUs: ((after.main - before.main) / searches) * 1e6,
    otherUs: ((after.others - before.others) / searches) * 1e6,
  };
}

const median = (xs: readonly number[]): number =>
  [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const mains = process.argv.slice(2, 4).map((p) => resolve(p));
  if (mains.length !== 2) throw new Error('usage: ab-run.ts <main.js of A> <main.js of B>');
  const rounds = Number(process.env.AB_ROUNDS ?? 3);
  const seconds = Number(process.env.AB_SECONDS ?? 5);
  const connectionCounts = (process.env.AB_CONNECTIONS ?? '1,8').split(',').map(Number);
  const settings = benchSettings();
  const mode = settings.modes[0] ?? 'async';
  const work = mkdtempSync(join(tmpdir(), 'vecgate-ab-'));
  const targets: Target[] = [];
  const servers: BenchServer[] = [];
  const loadBefore = loadavg();
  try {
    const data = randomVectors(settings.vectors, settings.dimension, 42);
    const queries = randomVectors(settings.queryCount, settings.dimension, 4242);
    for (const [name, entry] of [
      ['A', mains[0]],
      ['B', mains[1]],
    ] as const) {
      const server = await startGateway(mode, work, name, [], entry);
      servers.push(server);
      await loadTenant(server, data, settings);
      const reader = mint({ tenant: TENANT, roles: 'reader', subject: 'ab' }, server.secret);
      const requests = searchRequests(queries, reader, settings);
      targets.push({ name, server, requests });
      await load(server.base, requests, Math.max(...connectionCounts), settings.warmup || 2);
    }
    const samples = new Map<string, Sample[]>();
    for (let round = 0; round < rounds; round++) {
      for (const connections of connectionCounts) {
        for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
          const sample = await measure(target, connections, seconds);
          const key = `${target.name} c=${connections}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          log(
            `${key}: p50 ${sample.p50.toFixed(3)} ms, ${sample.rps.toFixed(0)} req/s, CPU per ` +
              `search ${sample.mainUs.toFixed(0)} µs main + ${sample.otherUs.toFixed(0)} µs other ` +
              `threads (load ${loadavg()[0]?.toFixed(2)})`,
          );
        }
      }
    }
    process.stdout.write(
      `mode ${mode}; load average before ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}\n`,
    );
    process.stdout.write(
      'run | p50 ms | req/s | main-thread CPU µs/search | other threads µs/search\n',
    );
    for (const [key, list] of samples) {
      const m = (pick: (s: Sample) => number, digits: number) =>
        `${median(list.map(pick)).toFixed(digits)} [${list.map((s) => pick(s).toFixed(digits)).join(' ')}]`;
      process.stdout.write(
        `${key} | ${m((s) => s.p50, 3)} | ${m((s) => s.rps, 0)} | ${m((s) => s.mainUs, 0)} | ${m((s) => s.otherUs, 0)}\n`,
      );
    }
  } finally {
    for (const server of servers) await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
