/**
 * `npx tsx bench/audit-page.ts` (builds the gateway first when dist/ is missing): what one
 * `GET /v1/audit?limit=1` costs, and how long it holds the gateway's event loop, once the
 * SQLite audit store holds many events (200,000 by default).
 *
 * The built gateway runs in its own process on a fresh data directory. A tenant is created
 * through the API, the gateway is stopped, and the store is filled directly through
 * AuditStore.insert (the path the group commit takes), half the events the tenant's, half
 * those of 50 others. The gateway is started again and each page kind is read one request at
 * a time, while a neighbour polls `GET /health/live` every 2 ms: the neighbour's latency is
 * what a stalled event loop costs everyone else. The gateway's own event-loop lag maximum
 * (prom-client, 10 ms resolution) is read from /metrics before and after each kind.
 *
 * Tunables: AUDIT_BENCH_EVENTS (200000), AUDIT_BENCH_READS (200 per page kind),
 * AUDIT_BENCH_MODE (the gateway's AUDIT_MODE, async by default),
 * AUDIT_BENCH_OUT (a markdown file to append the table to), AUDIT_BENCH_LABEL (its title).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditEvent, AuditStore } from '@vecgate/audit';
import { SqlDatabase } from '@vecgate/core';
import { MAIN, ROOT } from '../test/support/build-output';
import { freePort, GatewayProcess } from '../test/support/gateway-process';
import { TEST_SECRET, Tokens } from '../test/support/tokens';
import { loadGatewayConfig } from '../apps/gateway/src/config/gateway.config';

const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS ?? 200_000);
const READS = Number(process.env.AUDIT_BENCH_READS ?? 200);

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function lagMaxMs(metricsBase: string): Promise<number> {
  const text = await (await fetch(`${metricsBase}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('vecgate_process_nodejs_eventloop_lag_max_seconds'));
  return Number(line?.split(' ')[1] ?? NaN) * 1000;
}

async function fill(dataDir: string, uid: string): Promise<number> {
  const sql = SqlDatabase.open({ sqliteFile: join(dataDir, 'vecgate.db') });
  const store = await AuditStore.open(sql);
  const started = performance.now();
  for (let i = 0; i < EVENTS; i += 1000) {
    const batch: AuditEvent[] = [];
    for (let j = i; j < Math.min(EVENTS, i + 1000); j++) {
      const own = j % 2 === 0;
      batch.push({
        id: randomUUID(),
        at: Date.now(),
        requestId: `bench-${j}`,
        subject: own ? 'reader-svc' : `svc-${j % 50}`,
        tenantUid: own ? uid : `${'0'.repeat(30)}${String(j % 50).padStart(2, '0')}`,
        tenantId: own ? 'reader' : `other-${j % 50}`,
        action: 'vectors.fetch',
        resource: 'GET /v1/vectors/:id',
        outcome: 'denied',
        status: 404,
        latencyMs: 0.5,
        ip: '127.0.0.1',
        severity: own && j % 2000 === 0 ? 'alert' : 'info',
      });
    }
    await store.insert(batch);
  }
  await sql.close();
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  if (!existsSync(MAIN)) spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const dataDir = mkdtempSync(join(tmpdir(), 'vecgate-audit-bench-'));
  const [port, metricsPort] = [await freePort(), await freePort()];
  const env = {
    NODE_ENV: 'production',
    JWT_SECRET: TEST_SECRET,
    DATA_DIR: dataDir,
    METRICS_PORT: String(metricsPort),
    // Async by default, so that each read's own audit commit (an fsync) does not hide the
    // cost of the query; AUDIT_BENCH_MODE=durable measures the default mode.
    AUDIT_MODE: process.env.AUDIT_BENCH_MODE ?? 'async',
    AUDIT_LOG: 'false',
    LOG_LEVEL: 'warn',
  };
  const tokens = new Tokens(loadGatewayConfig({ ...env, METRICS_PORT: 'off' }));
  const platform = { authorization: `Bearer ${tokens.platform()}` };
  let gateway = new GatewayProcess(port, env, join(dataDir, 'gateway.log'));
  try {
    await gateway.start();
    const created = await fetch(`${gateway.base}/v1/admin/tenants`, {
      method: 'POST',
      headers: { ...platform, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'reader', dimension: 2, metric: 'dot' }),
    });
    const { uid } = (await created.json()) as { uid: string };
    await gateway.stop();
    const fillSeconds = await fill(dataDir, uid);
    gateway = new GatewayProcess(port, env, join(dataDir, 'gateway.log'));
    await gateway.start(120_000);

    const metricsBase = `http://127.0.0.1:${metricsPort}`;
    const own = { authorization: `Bearer ${tokens.tenant('reader', ['tenant_admin'])}` };
    const kinds: [string, string, Record<string, string>][] = [
      ['tenant page', '/v1/audit?limit=1', own],
      ['tenant page, severity=alert (not in the index)', '/v1/audit?limit=1&severity=alert', own],
      ['tenant page, outcome=error (matches nothing)', '/v1/audit?limit=1&outcome=error', own],
      ['admin, forTenant', '/v1/admin/audit?limit=1&forTenant=reader', platform],
      ['admin, subject', '/v1/admin/audit?limit=1&subject=reader-svc', platform],
      ['admin, no filter', '/v1/admin/audit?limit=1', platform],
    ];
    const rows: string[] = [];
    for (const [name, path, headers] of kinds) {
      for (let i = 0; i < 5; i++)
        await (await fetch(`${gateway.base}${path}`, { headers })).arrayBuffer();
      await lagMaxMs(metricsBase);
      let reading = true;
      const neighbour: number[] = [];
      const probe = (async () => {
        while (reading) {
          const started = performance.now();
          await (await fetch(`${gateway.base}/health/live`)).arrayBuffer();
          neighbour.push(performance.now() - started);
          await sleep(2);
        }
      })();
      const latencies: number[] = [];
      for (let i = 0; i < READS; i++) {
        const started = performance.now();
        const res = await fetch(`${gateway.base}${path}`, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
        latencies.push(performance.now() - started);
      }
      reading = false;
      await probe;
      const lag = await lagMaxMs(metricsBase);
      latencies.sort((a, b) => a - b);
      neighbour.sort((a, b) => a - b);
      rows.push(
        `| ${name} | ${quantile(latencies, 0.5).toFixed(2)} | ${quantile(latencies, 0.99).toFixed(2)} | ${quantile(neighbour, 0.99).toFixed(2)} | ${(neighbour[neighbour.length - 1] ?? NaN).toFixed(2)} | ${lag.toFixed(0)} |`,
      );
    }
    const table = [
      `### ${process.env.AUDIT_BENCH_LABEL ?? 'audit pages'}`,
      '',
      `${EVENTS.toLocaleString('en')} events in the SQLite audit store (filled in ${fillSeconds.toFixed(1)} s), AUDIT_MODE=${env.AUDIT_MODE}, ${READS} sequential reads per row, Node ${process.version}, load average ${os.loadavg()[0]?.toFixed(2)}, ${new Date().toISOString()}`,
      '',
      '| page (`limit=1`) | p50 ms | p99 ms | neighbour `/health/live` p99 ms | neighbour max ms | event-loop lag max ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n');
    process.stdout.write(`${table}\n`);
    if (process.env.AUDIT_BENCH_OUT) appendFileSync(process.env.AUDIT_BENCH_OUT, `${table}\n`);
  } finally {
    await gateway.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
