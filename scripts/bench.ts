/**
 * `npm run bench`: tenant-scoped search through the gateway, against the same search called
 * directly on the embedded backend, and against a trivial Fastify server (HTTP transport only).
 * See bench/README.md for what is measured and how to read the report.
 *
 * Tunables (environment): BENCH_VECTORS (10000), BENCH_DIMENSION (128), BENCH_TOPK (10),
 * BENCH_DURATION (10 s per load run), BENCH_WARMUP (2 s), BENCH_CONNECTIONS ("1,8,32"),
 * BENCH_DIRECT_SECONDS (4), BENCH_DIRECT_PAUSE_MS (0), BENCH_MODES ("durable,async"),
 * BENCH_PAIRED_ROUNDS (5; 0 skips the side-by-side rounds of async mode at one connection),
 * BENCH_PAIRED_SECONDS (3 per target and round), BENCH_KEEP=1 keeps the temp dirs,
 * BENCH_GW_<NAME>=value passes <NAME>=value to the gateway (e.g. BENCH_GW_LOG_LEVEL=warn).
 */
import Fastify from 'fastify';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtLibrary, MAIN, ROOT } from '../test/support/build-output';
import { markdown } from './bench/markdown';
import { log, randomVectors } from './bench/measure';
import {
  BenchResults,
  BuildInfo,
  environment,
  GatewayResult,
  loadAverage,
  markdownTable,
  rows,
  textTable,
} from './bench/report';
import { benchSettings } from './bench/settings';
import { benchPaired, pairedText } from './bench/paired';
import {
  benchBaseline,
  benchDirect,
  benchGateway,
  GatewayBench,
  mint,
  TENANT,
} from './bench/targets';

const REPORT = join(ROOT, 'bench/results/latest.md');
const ISOLATION = builtLibrary('isolation');

/** The trivial Fastify server, run as a child process of the bench (--baseline-server). */
function serveBaseline(): void {
  const fastify = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
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

/** Which code was measured: git HEAD, uncommitted changes, and when dist was built. */
function buildInfo(): BuildInfo {
  const git = (args: string[]): string | undefined => {
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
    distBuilt: statSync(MAIN).mtime.toISOString(),
  };
}

function ensureBuilt(): void {
  if (existsSync(MAIN) && existsSync(ISOLATION)) return;
  log('dist is missing: running npx nest build');
  const built = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0 || !existsSync(MAIN)) {
    throw new Error(`npx nest build failed (status ${built.status})`);
  }
}

async function main(): Promise<void> {
  const settings = benchSettings();
  const started = Date.now();
  const loadBefore = loadAverage();
  ensureBuilt();
  const build = buildInfo();
  const work = mkdtempSync(join(tmpdir(), 'vecgate-bench-'));
  log(`work directory ${work}`);
  try {
    const data = randomVectors(settings.vectors, settings.dimension, 42);
    const queries = randomVectors(settings.queryCount, settings.dimension, 4242);
    const gateways: GatewayResult[] = [];
    let firstBody: string | undefined;
    let asyncRun: GatewayBench | undefined;
    for (const mode of settings.modes) {
      const gateway = await benchGateway(mode, work, data, queries, settings);
      log(`direct EmbeddedBackend.search on the ${mode} data, ${settings.directSeconds} s`);
      const direct = await benchDirect(gateway, queries, settings);
      gateways.push({ mode, runs: gateway.runs, keyRuns: gateway.keyRuns, direct });
      firstBody ??= gateway.responseBody;
      if (mode === 'async') asyncRun = gateway;
    }
    // The baseline answers the gateway's own first response, byte for byte, to every request.
    const fakeToken = mint(
      { tenant: TENANT, roles: 'reader' },
      randomBytes(32).toString('base64url'),
    );
    // The child runs this file under the same TypeScript loader as this process.
    const serverArgs = [...process.execArgv, __filename, '--baseline-server'];
    const baseline = await benchBaseline(
      work,
      firstBody ?? '{}',
      queries,
      fakeToken,
      settings,
      serverArgs,
    );
    const paired =
      asyncRun && settings.pairedRounds > 0
        ? await benchPaired(asyncRun, work, queries, settings, serverArgs)
        : [];

    const distAfter = statSync(MAIN).mtime.toISOString();
    if (distAfter !== build.distBuilt) {
      build.warning = `dist was rebuilt during the run (${build.distBuilt} → ${distAfter}): figures may mix two builds`;
      log(`warning: ${build.warning}`);
    }
    const results: BenchResults = {
      env: environment(),
      loadBefore,
      build,
      gateways,
      baseline,
      paired,
    };
    const table = rows(results, settings);
    process.stdout.write(`\n${textTable(table)}\n\n`);
    if (paired.length > 0) process.stdout.write(`${pairedText(paired)}\n\n`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(REPORT, markdown(results, settings, markdownTable(table)));
    log(`report written to ${REPORT} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  } finally {
    if (settings.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--baseline-server') {
  serveBaseline();
} else {
  main().catch((err: unknown) => {
    process.stderr.write(
      `[bench] failed: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`,
    );
    process.exitCode = 1;
  });
}
