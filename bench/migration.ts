/**
 * `npx tsx bench/migration.ts` (builds the gateway first when dist/ is missing): how fast a
 * tenant moves between embedded strategies when nothing throttles it.
 *
 * The built gateway runs in its own process on a fresh data directory with
 * MIGRATION_RECORDS_PER_SECOND far above what it can do, so the figure is the machine's. A
 * tenant of MIGRATION_BENCH_RECORDS records (20,000 by default, dimension 128, small metadata)
 * is loaded through the API, then moved partition_key → database → collection. The phases are
 * polled every 50 ms from GET /v1/admin/tenants/{id}; the copy rate is the records copied over
 * the time spent in `copying`, the total from the PATCH to the tenant settled in its new place.
 * MIGRATION_BENCH_OUT appends the table to a markdown file.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAIN, ROOT } from '../test/support/build-output';
import { freePort, GatewayProcess, quietProductionEnv } from '../test/support/gateway-process';
import { TEST_SECRET, Tokens } from '../test/support/tokens';
import { loadGatewayConfig } from '../apps/gateway/src/config/gateway.config';

const RECORDS = Number(process.env.MIGRATION_BENCH_RECORDS ?? 20_000);
const DIM = 128;

interface Row {
  readonly move: string;
  readonly copySeconds: number;
  readonly verifySeconds: number;
  readonly totalSeconds: number;
}

async function moveAndTime(
  base: string,
  admin: Record<string, string>,
  tier: string,
  label: string,
): Promise<Row> {
  const started = performance.now();
  const res = await fetch(`${base}/v1/admin/tenants/bench`, {
    method: 'PATCH',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ tier }),
  });
  if (res.status !== 202) throw new Error(`PATCH answered ${res.status}: ${await res.text()}`);
  const entered = new Map<string, number>();
  for (;;) {
    const view = (await (
      await fetch(`${base}/v1/admin/tenants/bench`, { headers: admin })
    ).json()) as {
      migration?: { state: string; error?: string };
    };
    const state = view.migration?.state ?? 'done';
    if (!entered.has(state)) entered.set(state, performance.now());
    if (state === 'done') break;
    if (state === 'failed' || state === 'rolling_back')
      throw new Error(`move failed: ${view.migration?.error ?? state}`);
    await sleep(50);
  }
  const at = (s: string, fallback: number) => entered.get(s) ?? fallback;
  const done = at('done', performance.now());
  const copyStart = at('copying', started);
  const verifyStart = at('verifying', copyStart);
  const switched = at('switched', at('retiring', done));
  return {
    move: label,
    copySeconds: (verifyStart - copyStart) / 1000,
    verifySeconds: (switched - verifyStart) / 1000,
    totalSeconds: (done - started) / 1000,
  };
}

async function main(): Promise<void> {
  if (!existsSync(MAIN)) spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const dataDir = mkdtempSync(join(tmpdir(), 'vecgate-migration-bench-'));
  const env = {
    ...quietProductionEnv(TEST_SECRET),
    DATA_DIR: dataDir,
    AUDIT_MODE: 'async',
    MIGRATION_RECORDS_PER_SECOND: '10000000',
  };
  const tokens = new Tokens(loadGatewayConfig(env));
  const admin = { authorization: `Bearer ${tokens.platform()}` };
  const gateway = new GatewayProcess(await freePort(), env, join(dataDir, 'gateway.log'));
  try {
    await gateway.start();
    const created = await fetch(`${gateway.base}/v1/admin/tenants`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'bench', tier: 'standard', dimension: DIM, metric: 'cosine' }),
    });
    if (created.status !== 201) throw new Error(`create answered ${created.status}`);
    const writer = { authorization: `Bearer ${tokens.tenant('bench', ['writer'])}` };
    for (let i = 0; i < RECORDS; i += 100) {
      const vectors = Array.from({ length: Math.min(100, RECORDS - i) }, (_, k) => ({
        id: `r${i + k}`,
        values: Array.from({ length: DIM }, (_, j) => Math.sin((i + k + 1) * (j + 1)) + 1.5),
        metadata: { n: i + k, tag: `t${(i + k) % 10}` },
      }));
      const res = await fetch(`${gateway.base}/v1/vectors`, {
        method: 'PUT',
        headers: { ...writer, 'content-type': 'application/json' },
        body: JSON.stringify({ vectors }),
      });
      if (res.status !== 200) throw new Error(`upsert answered ${res.status}: ${await res.text()}`);
    }
    const rows = [
      await moveAndTime(gateway.base, admin, 'enterprise', 'partition_key → database'),
      await moveAndTime(gateway.base, admin, 'premium', 'database → collection'),
    ];
    const table = [
      `### tenant moves (embedded)`,
      '',
      `${RECORDS.toLocaleString('en')} records × ${DIM} floats, unthrottled, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg()[0]?.toFixed(2)}, ${new Date().toISOString()}`,
      '',
      '| move | copy | copy rate | verify + switch | PATCH to settled |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.move} | ${r.copySeconds.toFixed(1)} s | ${Math.round(RECORDS / r.copySeconds).toLocaleString('en')} records/s | ${r.verifySeconds.toFixed(1)} s | ${r.totalSeconds.toFixed(1)} s |`,
      ),
      '',
    ].join('\n');
    console.log(table);
    if (process.env.MIGRATION_BENCH_OUT)
      appendFileSync(process.env.MIGRATION_BENCH_OUT, `${table}\n`);
  } finally {
    await gateway.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
