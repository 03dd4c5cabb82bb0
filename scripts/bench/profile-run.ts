/**
 * One gateway under load with Node's CPU profiler on: `tsx scripts/bench/profile-run.ts <dir>`
 * writes the gateway's .cpuprofile into <dir> (read it with scripts/bench/cpu-profile.ts).
 * Same data and request as `npm run bench`; BENCH_MODES picks the audit mode (first one),
 * BENCH_CONNECTIONS the load (first one), BENCH_DURATION its length.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomVectors } from './measure';
import { benchSettings } from './settings';
import { benchGateway } from './targets';

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? 'profiles');
  const base = benchSettings();
  const settings = {
    ...base,
    modes: [base.modes[0] ?? 'async'],
    connections: [base.connections[base.connections.length - 1] ?? 8],
  };
  const work = mkdtempSync(join(tmpdir(), 'vecgate-profile-'));
  try {
    const data = randomVectors(settings.vectors, settings.dimension, 42);
    const queries = randomVectors(settings.queryCount, settings.dimension, 4242);
    const result = await benchGateway(settings.modes[0] ?? 'async', work, data, queries, settings, [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
    ]);
    for (const [connections, run] of result.runs) {
      process.stdout.write(
        `${connections} conns: p50 ${run.p50.toFixed(3)} ms, p99 ${run.p99.toFixed(3)} ms, ${run.rps.toFixed(0)} req/s\n`,
      );
    }
    process.stdout.write(`profile written to ${dir}\n`);
  } finally {
    if (process.env.BENCH_KEEP === '1') process.stdout.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

void main();
