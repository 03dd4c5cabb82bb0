/**
 * `npx tsx bench/migration-lock.ts`: what the migration gate costs a moving tenant's write and
 * a copy page, in-process alone (a SQLite registry, one process) and with the PostgreSQL
 * advisory lock of replicas (BENCH_POSTGRES_URL, default the local test database). The work
 * itself is empty, so the figures are the gate's own. A tenant that is not moving never enters
 * the gate. Writes bench/results/migration-lock.md.
 *
 * Tunables (environment): BENCH_LOCK_ROUNDS (2000), BENCH_POSTGRES_URL.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { InProcessOnly, MigrationLock } from '../libs/isolation/src/ports/migration-lock';
import { MigrationGate } from '../libs/isolation/src/routing/migration-gate';
import { PgMigrationLock } from '../libs/tenancy/src/registry/pg-migration-lock';
import { machineLines, percentile, publish, tunable } from './engine-support';

const ROUNDS = tunable('BENCH_LOCK_ROUNDS', 2000);
const URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REPORT = join(__dirname, 'results', 'migration-lock.md');
const CONCURRENT = 32;

interface Row {
  readonly lock: string;
  readonly what: string;
  readonly samples: readonly number[];
}

/** Milliseconds of each of `rounds` calls of `once`, one at a time. */
async function timed(rounds: number, once: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await once();
    samples.push(performance.now() - start);
  }
  return samples;
}

async function measure(name: string, lock: MigrationLock): Promise<Row[]> {
  const gate = new MigrationGate(lock);
  const uid = randomBytes(16).toString('hex');
  const empty = (): Promise<void> => Promise.resolve();
  await timed(100, () => gate.write(uid, empty));
  return [
    {
      lock: name,
      what: 'one write at a time',
      samples: await timed(ROUNDS, () => gate.write(uid, empty)),
    },
    {
      lock: name,
      what: `${CONCURRENT} writes in flight (per batch)`,
      samples: await timed(ROUNDS / 10, () =>
        Promise.all(Array.from({ length: CONCURRENT }, () => gate.write(uid, empty))),
      ),
    },
    {
      lock: name,
      what: 'one copy page (exclusive)',
      samples: await timed(ROUNDS, () => gate.exclusive(uid, empty)),
    },
  ];
}

async function main(): Promise<void> {
  const rows = await measure('in-process (SQLite registry)', new InProcessOnly());
  const lock = new PgMigrationLock(new Pool({ connectionString: URL, max: 4 }));
  try {
    rows.push(...(await measure('PostgreSQL advisory lock', lock)));
  } finally {
    await lock.onApplicationShutdown();
  }
  const ms = (v: number): string => v.toFixed(3);
  publish(REPORT, [
    '# Migration gate: what it costs a moving tenant',
    '',
    ...machineLines(`${ROUNDS} rounds; PostgreSQL 15 on loopback.`),
    '',
    'A tenant that is not moving never enters the gate: its writes take no lock and make no',
    'registry call. The work inside the gate is empty here, so these are the gate’s own costs.',
    '',
    '| lock | call | p50 (ms) | p99 (ms) |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.lock} | ${r.what} | ${ms(percentile(r.samples, 50))} | ${ms(percentile(r.samples, 99))} |`,
    ),
  ]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
