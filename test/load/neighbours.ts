/**
 * Noisy-neighbour suite (npm run test:neighbours).
 *
 * Starts the built gateway as its own process with the default settings (plus a local alert
 * sink), measures a quiet tenant's search and fetch latency alone, then during each attack of a
 * hostile tenant that stays within the documented limits. The quiet tenant speaks from
 * 127.0.0.2, the attackers from 127.0.0.1. What is not timing is asserted (the process lives,
 * the quiet tenant gets no error, the insider alert arrives, audit outcomes match what clients
 * received); the p99 ratios are printed and written to bench/results/neighbours.md.
 * NEIGHBOUR_PHASE_MS (default 15,000) sets each phase's length. Then a tenant of 50,000 records
 * moves between embedded strategies, throttled then not, beside the quiet tenant
 * (`neighbours/moves.ts`); NEIGHBOUR_MOVE_ROUNDS (default 1, 0 skips them) repeats the moves and
 * reports the medians; NEIGHBOUR_ONLY=moves skips the attacks.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { WebhookSink } from '../support/webhook-sink';
import { ROOT } from '../support/build-output';
import { freePort, GatewayProcess } from '../support/gateway-process';
import { ScriptTokens } from '../support/script-tokens';
import { ATTACKS, prepareQuiet } from './neighbours/attacks';
import { runMoves } from './neighbours/moves';
import { measureQuiet, Row, summary, World } from './neighbours/world';
import { call, sleep } from './neighbours/wire';

const PHASE_MS = Number(process.env.NEIGHBOUR_PHASE_MS ?? 15_000);
const MOVE_ROUNDS = Number(process.env.NEIGHBOUR_MOVE_ROUNDS ?? 1);
const ATTACKS_RUN = process.env.NEIGHBOUR_ONLY === 'moves' ? [] : ATTACKS;

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'vecgate-neighbours-'));
  const secret = randomBytes(32).toString('base64url');
  const sink = new WebhookSink();
  const alertUrl = await sink.start();
  const [port, metricsPort] = [await freePort(), await freePort()];
  const env = {
    NODE_ENV: 'production',
    JWT_SECRET: secret,
    DATA_DIR: join(dir, 'data'),
    METRICS_PORT: String(metricsPort),
    ALERT_WEBHOOK_URL: alertUrl,
  };
  const gateway = new GatewayProcess(port, env, join(dir, 'gateway.log'));
  await gateway.start();
  let world: World = {
    port,
    metricsPort,
    gateway,
    tokens: new ScriptTokens(secret),
    sink,
    failures: [],
  };
  const quietToken = world.tokens.tenant('quiet', ['reader']);
  const rows: Row[] = [];
  try {
    process.stdout.write('preparing the quiet tenant and the attackers...\n');
    await prepareQuiet(world);
    for (const attack of ATTACKS_RUN) await attack.prepare(world);
    const alone = await measureQuiet(world, quietToken, Date.now() + PHASE_MS);
    const base = summary(alone);
    rows.push({
      phase: 'alone',
      settings: 'defaults',
      ...base,
      errors: alone.errors.length,
      ratio: 1,
      attacker: '—',
    });
    checkQuiet(world, 'alone', alone.errors);
    for (const attack of ATTACKS_RUN) {
      process.stdout.write(`attack: ${attack.name}...\n`);
      const until = Date.now() + PHASE_MS;
      const [quiet, attacker] = await Promise.all([
        measureQuiet(world, quietToken, until),
        attack.run(world, until).catch((err: Error) => {
          world.failures.push(`${attack.name}: the attack itself failed: ${err.message}`);
          return `failed: ${err.message}`;
        }),
      ]);
      const s = summary(quiet);
      rows.push({
        phase: attack.name,
        settings: attack.settings,
        ...s,
        errors: quiet.errors.length,
        ratio: s.p99 / base.p99,
        attacker,
      });
      checkQuiet(world, attack.name, quiet.errors);
      // A gateway frozen by an attack would hold every later phase: the run stops there.
      if (!(await checkAlive(world, attack.name))) break;
    }
    if (MOVE_ROUNDS > 0 && world.gateway.alive()) {
      // The gateway restarted on the same data, with other settings (the move's throttle).
      const restart = async (extra: Record<string, string>): Promise<World> => {
        await stopGateway(world.gateway);
        const next = new GatewayProcess(port, { ...env, ...extra }, join(dir, 'gateway.log'));
        world = { ...world, gateway: next };
        await next.start();
        return world;
      };
      const moved = await runMoves(world, MOVE_ROUNDS, PHASE_MS, restart);
      world = moved.world;
      rows.push(...moved.rows);
      await checkAlive(world, 'tenant moves');
    }
  } finally {
    await stopGateway(world.gateway);
    await sink.stop();
  }
  const report = render(rows, world.failures, Date.now() - started);
  process.stdout.write(`\n${report}\n`);
  // Formatted as the repository's lint expects, so a fresh report can be committed as is.
  const file = join(ROOT, 'bench/results/neighbours.md');
  const style = (await resolveConfig(file)) ?? {};
  writeFileSync(file, await format(report, { ...style, parser: 'markdown' }));
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = world.failures.length > 0 ? 1 : 0;
}

/** A frozen event loop never runs the shutdown hooks: SIGKILL after a grace period. */
async function stopGateway(gateway: GatewayProcess): Promise<void> {
  await Promise.race([gateway.stop(), sleep(10_000).then(() => gateway.kill())]);
}

function checkQuiet(world: World, phase: string, errors: readonly string[]): void {
  if (errors.length > 0)
    world.failures.push(
      `${phase}: the quiet tenant got ${errors.length} errors: ${errors.slice(0, 3).join(' | ')}`,
    );
}

async function checkAlive(world: World, phase: string): Promise<boolean> {
  await sleep(200);
  const live = await call(world.port, {
    method: 'GET',
    path: '/health/live',
    localAddress: '127.0.0.3',
    timeoutMs: 30_000,
  });
  if (world.gateway.alive() && live.status === 200) return true;
  world.failures.push(
    `${phase}: the gateway did not answer /health/live within 30 s (${live.status || live.error})`,
  );
  return false;
}

function render(rows: readonly Row[], failures: readonly string[], ms: number): string {
  const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '—');
  const lines = [
    '# Noisy-neighbour suite',
    '',
    `Run ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ` +
      `load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, ${(ms / 1000).toFixed(0)} s in all, phases of ${PHASE_MS / 1000} s.`,
    'Quiet tenant: 2,000 × 128 (cosine, `partition_key`), one search (topK 10) then one fetch at a time;',
    'in the tenant-move rows it also upserts one record each time, and its baseline, measured just before each move, does the same.',
    '',
    '| phase | settings | quiet p50 ms | quiet p99 ms | p99 vs alone | quiet requests | quiet errors | attacker |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.phase} | ${r.settings} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.ratio)}× | ${r.n} | ${r.errors} | ${r.attacker} |`,
    ),
    '',
    failures.length === 0
      ? 'Every assertion held.'
      : `Assertions that did not hold (${failures.length}):`,
    ...failures.map((x) => `- ${x}`),
    '',
  ];
  return lines.join('\n');
}

void main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
