#!/usr/bin/env node
'use strict';

/**
 * `npm run bench`: tenant-scoped search through the gateway, against the same search called
 * directly on the embedded backend, and against a trivial Fastify server (HTTP transport only).
 * See bench/README.md for what is measured and how to read the report.
 *
 * Tunables (environment): BENCH_VECTORS (10000), BENCH_DIMENSION (128), BENCH_TOPK (10),
 * BENCH_DURATION (10 s per load run), BENCH_WARMUP (2 s), BENCH_CONNECTIONS ("1,8"),
 * BENCH_DIRECT_SECONDS (4), BENCH_MODES ("durable,async"), BENCH_KEEP=1 keeps the temp dirs,
 * BENCH_GW_<NAME>=value passes <NAME>=value to the gateway (e.g. BENCH_GW_LOG_LEVEL=warn).
 */

const { spawn, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const MAIN = join(ROOT, 'dist/apps/gateway/apps/gateway/src/main.js');
const ISOLATION = join(ROOT, 'dist/apps/gateway/libs/isolation/src/index.js');
const REPORT = join(ROOT, 'bench/results/latest.md');
const TENANT = 'bench';
const METRIC = 'cosine';
const STRATEGY = 'partition_key';
const QUERY_COUNT = 32;
const LOAD_BATCH = 1000;

// --- the trivial Fastify server, run as a child process of the bench (--baseline-server) --

function serveBaseline() {
  const fastify = require('fastify')({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  const body = process.env.BENCH_BASELINE_BODY || '{}';
  fastify.post('/v1/search', (_request, reply) => {
    void reply.type('application/json; charset=utf-8').send(body);
  });
  fastify.get('/health/ready', (_request, reply) => {
    void reply.send({ status: 'ok' });
  });
  fastify.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_BASELINE_PORT) }, (err) => {
    if (err) {
      process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    }
  });
}

// --- configuration ----------------------------------------------------------------------

function intEnv(name, fallback, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw new Error(`${name} must be an integer ≥ ${min}`);
  return Number(raw);
}

function listEnv(name, fallback) {
  const raw = process.env[name];
  return raw ? raw.split(',').map((s) => s.trim()) : fallback;
}

const CONFIG = {
  vectors: intEnv('BENCH_VECTORS', 10_000),
  dimension: intEnv('BENCH_DIMENSION', 128),
  topK: intEnv('BENCH_TOPK', 10),
  duration: intEnv('BENCH_DURATION', 10),
  warmup: intEnv('BENCH_WARMUP', 2, 0),
  directSeconds: intEnv('BENCH_DIRECT_SECONDS', 4),
  connections: listEnv('BENCH_CONNECTIONS', ['1', '8']).map((c) => {
    if (!/^\d+$/.test(c) || Number(c) < 1) throw new Error('BENCH_CONNECTIONS: integers ≥ 1');
    return Number(c);
  }),
  modes: listEnv('BENCH_MODES', ['durable', 'async']).map((m) => {
    if (m !== 'durable' && m !== 'async') throw new Error('BENCH_MODES: durable and/or async');
    return m;
  }),
  keep: process.env.BENCH_KEEP === '1',
};

// --- small helpers ----------------------------------------------------------------------

/** Deterministic PRNG (mulberry32) so every run searches the same data. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomVectors(count, dimension, seed) {
  const next = prng(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    // Values a float32 represents exactly, so JSON and Float32Array carry the same numbers.
    const v = new Array(dimension);
    for (let d = 0; d < dimension; d++) v[d] = Math.fround(next() * 2 - 1);
    out.push(v);
  }
  return out;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function summarize(samplesMs, seconds) {
  const sorted = Float64Array.from(samplesMs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sum / sorted.length : NaN,
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    rps: sorted.length / seconds,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((ok, fail) => {
    const server = net.createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** BENCH_GW_<NAME>=value sets the gateway's <NAME> (e.g. BENCH_GW_LOG_LEVEL=warn). */
function gatewayOverrides() {
  const fixed = ['NODE_ENV', 'HOST', 'PORT', 'DATA_DIR', 'JWT_SECRET', 'JWT_SECRETS', 'AUDIT_MODE'];
  const out = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('BENCH_GW_') || value === undefined) continue;
    const name = key.slice('BENCH_GW_'.length);
    if (fixed.includes(name)) throw new Error(`${key}: the bench sets ${name} itself`);
    out[name] = value;
  }
  return out;
}

function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

async function request(base, method, path, token, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Starts a child process and waits until GET /health/ready answers 200. */
async function startServer(name, args, env, port, logFile) {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      throw new Error(
        `${name} exited (${JSON.stringify(exited)}) before it was ready; see ${logFile}`,
      );
    }
    try {
      const r = await fetch(`${base}/health/ready`);
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within 60 s; see ${logFile}`);
    }
    await sleep(100);
  }
  return {
    base,
    stop: async () => {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/**
 * One autocannon run. Latencies come from autocannon's per-response event (a float in ms from
 * process.hrtime); its own histogram rounds to whole milliseconds, too coarse here.
 */
async function load(base, requests, connections, duration) {
  const autocannon = require('autocannon');
  const samples = [];
  const statuses = {};
  const started = process.hrtime.bigint();
  const instance = autocannon({
    url: base,
    connections,
    duration,
    timeout: 10,
    requests,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    statuses[statusCode] = (statuses[statusCode] || 0) + 1;
    if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
  });
  const result = await instance;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bad = Object.entries(statuses).filter(([code]) => Number(code) >= 300);
  if (bad.length > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `load run had failures: statuses ${JSON.stringify(statuses)}, errors ${result.errors}, ` +
        `timeouts ${result.timeouts}`,
    );
  }
  return summarize(samples, seconds);
}

function searchRequests(queries, token) {
  return queries.map((vector) => ({
    method: 'POST',
    path: '/v1/search',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ vector, topK: CONFIG.topK, includeMetadata: true }),
  }));
}

// --- the three targets ------------------------------------------------------------------

async function benchGateway(mode, work, data, queries) {
  const { buildToken } = require('./token.js');
  const dataDir = join(work, `data-${mode}`);
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    METRICS_PORT: 'off',
    ...gatewayOverrides(),
    AUDIT_MODE: mode,
  };
  const logFile = join(work, `gateway-${mode}.log`);
  log(`gateway (AUDIT_MODE=${mode}) starting on port ${port}, data ${dataDir}`);
  const server = await startServer(`gateway (${mode})`, [MAIN], env, port, logFile);
  const keyEnv = { JWT_SECRET: secret };
  const mint = (args) => buildToken(args, keyEnv).token;
  let tenant;
  let sample;
  const runs = {};
  try {
    const admin = mint({ platform: true, roles: 'platform_admin', subject: 'bench-admin' });
    tenant = await request(server.base, 'POST', '/v1/admin/tenants', admin, {
      id: TENANT,
      backend: 'embedded',
      strategy: STRATEGY,
      dimension: CONFIG.dimension,
      metric: METRIC,
    });
    const writer = mint({ tenant: TENANT, roles: 'writer', subject: 'bench-loader' });
    const loadStart = Date.now();
    for (let i = 0; i < data.length; i += LOAD_BATCH) {
      const vectors = data.slice(i, i + LOAD_BATCH).map((values, j) => ({
        id: `v${i + j}`,
        values,
        metadata: { category: `c${(i + j) % 10}`, n: i + j },
      }));
      await request(server.base, 'PUT', '/v1/vectors', writer, { vectors });
    }
    log(`loaded ${data.length} vectors in ${Date.now() - loadStart} ms`);
    const reader = mint({ tenant: TENANT, roles: 'reader', subject: 'bench-reader' });
    sample = await request(server.base, 'POST', '/v1/search', reader, {
      vector: queries[0],
      topK: CONFIG.topK,
      includeMetadata: true,
    });
    if (!Array.isArray(sample.matches) || sample.matches.length !== CONFIG.topK) {
      throw new Error(`unexpected search answer: ${JSON.stringify(sample)}`);
    }
    const requests = searchRequests(queries, reader);
    for (const connections of CONFIG.connections) {
      if (CONFIG.warmup > 0) await load(server.base, requests, connections, CONFIG.warmup);
      log(`gateway (${mode}) ${connections} connection(s), ${CONFIG.duration} s`);
      const from = Date.now();
      runs[connections] = await load(server.base, requests, connections, CONFIG.duration);
      runs[connections].window = { from, to: Date.now() };
    }
  } finally {
    await server.stop();
  }
  for (const run of Object.values(runs)) run.server = serverSide(dataDir, run.window);
  return { mode, dataDir, tenant, sample, runs, responseBody: JSON.stringify(sample) };
}

/**
 * Time spent inside the gateway per search, from the audit events of the run: `latencyMs`
 * runs from the request's arrival (before authentication) to the moment its answer is ready
 * (before the audit commit), so it excludes the client, the network stack and, in durable
 * mode, the wait for the commit.
 */
function serverSide(dataDir, window) {
  const Database = require('better-sqlite3');
  const db = new Database(join(dataDir, 'vecgate.db'), { readonly: true });
  try {
    const latencies = db
      .prepare(
        "SELECT latency_ms FROM vg_audit_events WHERE action = 'vectors.search' AND status = 200 AND at >= ? AND at <= ?",
      )
      .pluck()
      .all(window.from, window.to)
      .sort((a, b) => a - b);
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      count: latencies.length,
    };
  } finally {
    db.close();
  }
}

/**
 * The direct call: EmbeddedBackend from the built dist, opened on the data directory the
 * gateway just wrote (after the gateway stopped: one process owns an embedded directory),
 * called in-process, one call at a time, with the same queries and options.
 */
async function benchDirect(gateway, queries) {
  require('reflect-metadata');
  const { EmbeddedBackend, makeTenantScope } = require(ISOLATION);
  const backend = new EmbeddedBackend({
    directory: join(gateway.dataDir, 'embedded'),
    cacheMb: 512,
    maxOpenFiles: 256,
  });
  const t = gateway.tenant;
  const scope = makeTenantScope({
    tenantId: t.id,
    tenantUid: t.uid,
    placement: { backend: t.backend, strategy: t.strategy, location: t.location },
    space: { dimension: t.dimension, metric: t.metric },
  });
  const prepared = queries.map((q) => ({
    vector: Float32Array.from(q),
    topK: CONFIG.topK,
    includeMetadata: true,
    includeValues: false,
  }));
  try {
    // Same answer as the gateway gave for the first query: ids in order, scores to 1e-6.
    const first = await backend.search(scope, prepared[0]);
    const expected = gateway.sample.matches;
    const same =
      first.length === expected.length &&
      first.every(
        (r, i) => r.id === expected[i].id && Math.abs(r.score - expected[i].score) < 1e-6,
      );
    if (!same) {
      throw new Error(
        `direct search and gateway disagree: ${JSON.stringify(first.map((r) => [r.id, r.score]))} ` +
          `vs ${JSON.stringify(expected.map((r) => [r.id, r.score]))}`,
      );
    }
    const warmUntil = process.hrtime.bigint() + 500_000_000n;
    for (let i = 0; process.hrtime.bigint() < warmUntil; i++) {
      await backend.search(scope, prepared[i % prepared.length]);
    }
    const samples = [];
    const started = process.hrtime.bigint();
    const until = started + BigInt(CONFIG.directSeconds) * 1_000_000_000n;
    for (let i = 0; ; i++) {
      const t0 = process.hrtime.bigint();
      if (t0 >= until) break;
      const found = await backend.search(scope, prepared[i % prepared.length]);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (found.length !== CONFIG.topK) throw new Error('direct search returned too few matches');
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return summarize(samples, seconds);
  } finally {
    await backend.close();
  }
}

async function benchBaseline(work, responseBody, queries, token) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    BENCH_BASELINE_PORT: String(port),
    BENCH_BASELINE_BODY: responseBody,
  };
  const logFile = join(work, 'baseline.log');
  log(
    `plain Fastify baseline on port ${port} (fixed ${Buffer.byteLength(responseBody)}-byte JSON)`,
  );
  const server = await startServer(
    'baseline',
    [__filename, '--baseline-server'],
    env,
    port,
    logFile,
  );
  const runs = {};
  try {
    const requests = searchRequests(queries, token);
    for (const connections of CONFIG.connections) {
      if (CONFIG.warmup > 0) await load(server.base, requests, connections, CONFIG.warmup);
      log(`baseline ${connections} connection(s), ${CONFIG.duration} s`);
      runs[connections] = await load(server.base, requests, connections, CONFIG.duration);
    }
  } finally {
    await server.stop();
  }
  return runs;
}

// --- report -----------------------------------------------------------------------------

const ms = (v) => v.toFixed(3);
const us = (v) => `${v >= 0 ? '+' : ''}${Math.round(v * 1000)}`;
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
const rps = (v) => Math.round(v).toLocaleString('en-US');

/** A reference (baseline or direct call): its own figures, no comparison columns. */
function referenceRow(target, conns, summary) {
  const row = { target, conns, p50: ms(summary.p50), p99: ms(summary.p99), rps: rps(summary.rps) };
  for (const [key] of COLUMNS) if (!(key in row)) row[key] = '';
  return row;
}

function rows(results) {
  const out = [];
  for (const conns of CONFIG.connections) {
    const base = results.baseline[conns];
    out.push(referenceRow('plain Fastify (HTTP only)', conns, base));
  }
  for (const g of results.gateways) {
    out.push(
      referenceRow(`direct EmbeddedBackend.search (${g.mode} data)`, 'in-process', g.direct),
    );
    for (const conns of CONFIG.connections) {
      const r = g.runs[conns];
      const base = results.baseline[conns];
      out.push({
        target: `gateway AUDIT_MODE=${g.mode}`,
        conns,
        p50: ms(r.p50),
        p99: ms(r.p99),
        rps: rps(r.rps),
        vsDirect50: `${ratio(r.p50, g.direct.p50)} / ${us(r.p50 - g.direct.p50)}`,
        vsDirect99: `${ratio(r.p99, g.direct.p99)} / ${us(r.p99 - g.direct.p99)}`,
        vsBase50: `${ratio(r.p50, base.p50)} / ${us(r.p50 - base.p50)}`,
        vsBase99: `${ratio(r.p99, base.p99)} / ${us(r.p99 - base.p99)}`,
        pipeline50: us(r.p50 - base.p50 - g.direct.p50),
        server50: ms(r.server.p50),
        serverOver50: us(r.server.p50 - g.direct.p50),
      });
    }
  }
  return out;
}

const COLUMNS = [
  ['target', 'target'],
  ['conns', 'conns'],
  ['p50', 'p50 ms'],
  ['p99', 'p99 ms'],
  ['rps', 'req/s'],
  ['vsDirect50', 'vs direct p50 (×/µs)'],
  ['vsDirect99', 'vs direct p99 (×/µs)'],
  ['vsBase50', 'vs HTTP p50 (×/µs)'],
  ['vsBase99', 'vs HTTP p99 (×/µs)'],
  ['pipeline50', 'pipeline p50 µs'],
  ['server50', 'in-server p50 ms'],
  ['serverOver50', 'in-server − direct p50 µs'],
];

function textTable(data) {
  const widths = COLUMNS.map(([key, title]) =>
    Math.max(title.length, ...data.map((row) => String(row[key]).length)),
  );
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [
    line(COLUMNS.map(([, title]) => title)),
    line(widths.map((w) => '-'.repeat(w))),
    ...data.map((row) => line(COLUMNS.map(([key]) => row[key]))),
  ].join('\n');
}

function markdownTable(data) {
  const head = `| ${COLUMNS.map(([, title]) => title).join(' | ')} |`;
  const rule = `|${COLUMNS.map(() => '---').join('|')}|`;
  const body = data.map((row) => `| ${COLUMNS.map(([key]) => row[key]).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

function environment() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus[0] ? cpus[0].model.trim() : 'unknown'} × ${cpus.length} logical CPU(s)`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    load: os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' / '),
  };
}

function markdown(results, table) {
  const env = results.env;
  const lines = [
    '# vecgate benchmark: latest run',
    '',
    'Generated by `npm run bench` (scripts/bench.js); see [../README.md](../README.md) for',
    'what is measured and how to read it. Do not edit by hand.',
    '',
    `- date: ${env.date}`,
    `- node: ${env.node}`,
    `- CPU: ${env.cpu}`,
    `- OS: ${env.os}, memory ${env.memory}`,
    `- code: ${results.build.commit}; dist built ${results.build.distBuilt}`,
    ...(results.build.warning ? [`- **warning**: ${results.build.warning}`] : []),
    `- load average (1/5/15 min) before the run: ${results.loadBefore}; after: ${env.load} ` +
      '(other work on the machine skews every figure; compare runs on a quiet machine)',
    `- data: ${CONFIG.vectors.toLocaleString('en-US')} vectors, dimension ${CONFIG.dimension}, ` +
      `${METRIC}, embedded backend, strategy ${STRATEGY}, small metadata per record`,
    `- query: POST /v1/search, topK ${CONFIG.topK}, includeMetadata true, ${QUERY_COUNT} ` +
      'distinct query vectors cycled, reader token',
    `- load: autocannon over loopback, ${CONFIG.connections.join(' and ')} connection(s), ` +
      `${CONFIG.duration} s per run after a ${CONFIG.warmup} s warm-up; gateway and baseline ` +
      'each in their own Node process, the load generator in the bench process',
    `- direct: EmbeddedBackend from the built dist, opened on the data directory the gateway ` +
      `wrote, called in-process one call at a time for ${CONFIG.directSeconds} s (same queries ` +
      'and options; its first answer is checked equal to the gateway answer)',
    '- gateway: NODE_ENV=production, defaults otherwise (LOG_LEVEL=info, AUDIT_LOG=true, logs ' +
      'to a file), METRICS_PORT=off, a fresh data directory per audit mode',
    '',
    '## Results',
    '',
    'Latencies in milliseconds; overheads as ratio / microseconds (gateway minus reference).',
    '"pipeline p50 µs" = gateway p50 − HTTP baseline p50 − direct p50: an estimate of what',
    "vecgate's own request pipeline (authentication, tenant guard, validation, result",
    'checks, audit, logging) adds beyond the HTTP transport and the backend search. On a',
    'machine where the load generator shares the cores with the gateway, it also carries the',
    'contention between them.',
    '"in-server p50 ms" is the time each search spent inside the gateway, from the audit',
    'events of the run (arrival of the request to the answer being ready, before the audit',
    'commit and before the bytes leave); "in-server − direct" is what the pipeline adds there.',
    '',
    table,
    '',
    '## Samples',
    '',
    '| target | conns | requests | mean ms | max ms |',
    '|---|---|---|---|---|',
  ];
  for (const conns of CONFIG.connections) {
    const b = results.baseline[conns];
    lines.push(`| plain Fastify | ${conns} | ${b.count} | ${ms(b.mean)} | ${ms(b.max)} |`);
  }
  for (const g of results.gateways) {
    lines.push(
      `| direct (${g.mode} data) | in-process | ${g.direct.count} | ${ms(g.direct.mean)} | ` +
        `${ms(g.direct.max)} |`,
    );
    for (const conns of CONFIG.connections) {
      const r = g.runs[conns];
      lines.push(`| gateway ${g.mode} | ${conns} | ${r.count} | ${ms(r.mean)} | ${ms(r.max)} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

// --- main -------------------------------------------------------------------------------

/** Which code was measured: git HEAD, uncommitted changes, and when dist was built. */
function buildInfo() {
  const git = (args) => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const head = git(['rev-parse', '--short', 'HEAD']);
  const changes = git(['status', '--porcelain']);
  const changed = changes === undefined ? 0 : changes.split('\n').filter(Boolean).length;
  return {
    commit: head
      ? `${head}${changed > 0 ? ` with ${changed} uncommitted change(s)` : ''}`
      : 'unknown',
    distBuilt: fs.statSync(MAIN).mtime.toISOString(),
  };
}

function ensureBuilt() {
  if (fs.existsSync(MAIN) && fs.existsSync(ISOLATION)) return;
  log('dist is missing: running npx nest build');
  const built = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0 || !fs.existsSync(MAIN)) {
    throw new Error(`npx nest build failed (status ${built.status})`);
  }
}

async function main() {
  const started = Date.now();
  const loadBefore = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' / ');
  ensureBuilt();
  const build = buildInfo();
  const work = fs.mkdtempSync(join(os.tmpdir(), 'vecgate-bench-'));
  log(`work directory ${work}`);
  try {
    const data = randomVectors(CONFIG.vectors, CONFIG.dimension, 42);
    const queries = randomVectors(QUERY_COUNT, CONFIG.dimension, 4242);
    const gateways = [];
    for (const mode of CONFIG.modes) {
      const gateway = await benchGateway(mode, work, data, queries);
      log(`direct EmbeddedBackend.search on the ${mode} data, ${CONFIG.directSeconds} s`);
      gateway.direct = await benchDirect(gateway, queries);
      gateways.push(gateway);
    }
    // The baseline answers the gateway's own first response, byte for byte, to every request.
    const { buildToken } = require('./token.js');
    const fakeToken = buildToken(
      { tenant: TENANT, roles: 'reader' },
      { JWT_SECRET: randomBytes(32).toString('base64url') },
    ).token;
    const baseline = await benchBaseline(work, gateways[0].responseBody, queries, fakeToken);

    const distAfter = fs.statSync(MAIN).mtime.toISOString();
    if (distAfter !== build.distBuilt) {
      build.warning = `dist was rebuilt during the run (${build.distBuilt} → ${distAfter}): figures may mix two builds`;
      log(`warning: ${build.warning}`);
    }
    const results = { env: environment(), loadBefore, build, gateways, baseline };
    const data_ = rows(results);
    process.stdout.write(`\n${textTable(data_)}\n\n`);
    fs.mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    fs.writeFileSync(REPORT, markdown(results, markdownTable(data_)));
    log(`report written to ${REPORT} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  } finally {
    if (CONFIG.keep) log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--baseline-server') {
  serveBaseline();
} else {
  main().catch((err) => {
    process.stderr.write(`[bench] failed: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
