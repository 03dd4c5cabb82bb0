import { createTenant, upsertAll } from './attacks';
import { call, sleep } from './wire';
import { measureQuiet, QUIET_DIM, QuietStats, quietVector, Row, summary, World } from './world';

/**
 * The tenant-move scenario: a tenant of MOVE_RECORDS records, beside the quiet one in the shared
 * `partition_key` table, moves to its own `collection` table at the default
 * MIGRATION_RECORDS_PER_SECOND, then back unthrottled, while the quiet tenant searches, fetches
 * and writes. Each move is preceded by a baseline of the same quiet traffic, back to back, so a
 * machine loaded by other work weighs on both alike.
 */
export const MOVE_RECORDS = Number(process.env.NEIGHBOUR_MOVE_RECORDS ?? 50_000);
/** Far above what the machine can copy: the move goes as fast as the backends let it. */
export const UNTHROTTLED = '1000000000';

export interface MoveTiming {
  /** From the PATCH to the tenant settled in its new place. */
  readonly seconds: number;
  /** Time in `copying` (every page, then the prune). */
  readonly copySeconds: number;
  /** Time in `verifying` (both digests, then the switch). */
  readonly verifySeconds: number;
}

/** One leg of a round: where the mover goes, and the gateway settings it goes with. */
interface Leg {
  readonly move: string;
  readonly strategy: string;
  readonly settings: string;
  readonly env: Record<string, string>;
}

const LEGS: readonly Leg[] = [
  {
    move: 'partition_key → collection',
    strategy: 'collection',
    settings: 'defaults (MIGRATION_RECORDS_PER_SECOND 5000)',
    env: {},
  },
  {
    move: 'collection → partition_key',
    strategy: 'partition_key',
    settings: 'MIGRATION_RECORDS_PER_SECOND 10⁹ (unthrottled)',
    env: { MIGRATION_RECORDS_PER_SECOND: UNTHROTTLED },
  },
];

/** Restarts the gateway on the same data with these settings beyond the defaults. */
export type Restart = (env: Record<string, string>) => Promise<World>;

/**
 * Runs `rounds` rounds of both legs, each a baseline of the quiet tenant's searches, fetches and
 * writes, then the same traffic during the move; the gateway is restarted on the same data
 * when a leg needs other settings. Answers the rows, then the medians when there are several
 * rounds, and the world as it ends (its gateway may have been replaced).
 */
export async function runMoves(
  start: World,
  rounds: number,
  baselineMs: number,
  restart: Restart,
): Promise<{ world: World; rows: Row[] }> {
  let world = start;
  let current: Record<string, string> = {};
  const quietToken = world.tokens.tenant('quiet', ['reader']);
  const writer = world.tokens.tenant('quiet', ['writer']);
  const rows: Row[] = [];
  await prepareMover(world);
  for (let round = 1; round <= rounds; round++) {
    for (const leg of LEGS) {
      if (JSON.stringify(leg.env) !== JSON.stringify(current)) {
        world = await restart(leg.env);
        current = leg.env;
      }
      process.stdout.write(`move round ${round}: ${leg.move}...
`);
      const alone = await measureQuiet(world, quietToken, Date.now() + baselineMs, writer);
      const base = summary(alone);
      rows.push({
        phase: `alone, searching and writing (round ${round})`,
        settings: leg.settings,
        ...base,
        errors: alone.errors.length,
        ratio: 1,
        attacker: '—',
      });
      const phase = await measureMove(world, quietToken, writer, leg.strategy);
      const s = summary(phase.quiet);
      rows.push({
        phase: `tenant move ${leg.move} (round ${round})`,
        settings: leg.settings,
        ...s,
        errors: phase.quiet.errors.length,
        ratio: s.p99 / base.p99,
        attacker: describeMove(phase),
        ...(phase.move ? { move: phase.move } : {}),
      });
      for (const [what, stats] of [
        ['baseline', alone],
        ['move', phase.quiet],
      ] as const) {
        if (stats.errors.length > 0)
          world.failures.push(
            `${leg.move} ${what}: the quiet tenant got ${stats.errors.length} errors: ${stats.errors.slice(0, 3).join(' | ')}`,
          );
      }
      if (phase.error) world.failures.push(`${leg.move}: ${phase.error}`);
    }
  }
  return { world, rows: rounds > 1 ? [...rows, ...medians(rows, rounds)] : rows };
}

/** Per move, the median over the rounds of the quiet tenant's figures and of the move's. */
function medians(rows: readonly Row[], rounds: number): Row[] {
  return LEGS.map((leg) => {
    const mine = rows.filter((r) => r.phase.startsWith(`tenant move ${leg.move} `));
    // Each move's row follows the baseline measured just before it.
    const bases = mine.flatMap((r) => rows[rows.indexOf(r) - 1] ?? []);
    const moves = mine.flatMap((r) => (r.move ? [r.move] : []));
    const m = (xs: number[]): number => median(xs);
    const timing: MoveTiming = {
      seconds: m(moves.map((x) => x.seconds)),
      copySeconds: m(moves.map((x) => x.copySeconds)),
      verifySeconds: m(moves.map((x) => x.verifySeconds)),
    };
    return {
      phase: `tenant move ${leg.move}: median of ${rounds} rounds`,
      settings: leg.settings,
      p50: m(mine.map((r) => r.p50)),
      p99: m(mine.map((r) => r.p99)),
      n: Math.round(m(mine.map((r) => r.n))),
      errors: mine.reduce((a, r) => a + r.errors, 0),
      ratio: m(mine.map((r) => r.ratio)),
      attacker:
        `baseline p50 ${m(bases.map((r) => r.p50)).toFixed(1)} ms, p99 ${m(bases.map((r) => r.p99)).toFixed(1)} ms; ` +
        describeMove({ quiet: { search: [], fetch: [], write: [], errors: [] }, move: timing }),
    };
  });
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export interface MovePhase {
  readonly quiet: QuietStats;
  readonly move?: MoveTiming;
  readonly error?: string;
}

async function prepareMover(world: World): Promise<void> {
  await createTenant(world, { id: 'mover', dimension: QUIET_DIM, metric: 'cosine' });
  await upsertAll(
    world,
    'mover',
    MOVE_RECORDS,
    (i) => ({ id: `m${i}`, values: quietVector(i + 11), metadata: { n: i, tag: `t${i % 10}` } }),
    1000,
  );
}

/** Moves the mover to another embedded strategy while the quiet tenant is measured. */
async function measureMove(
  world: World,
  quietToken: string,
  writer: string,
  strategy: string,
): Promise<MovePhase> {
  let done = false;
  const moving = moveMover(world, strategy).finally(() => (done = true));
  const [quiet, move] = await Promise.all([
    measureQuiet(world, quietToken, () => done, writer),
    moving.catch((err: Error) => err),
  ]);
  return move instanceof Error ? { quiet, error: move.message } : { quiet, move };
}

async function moveMover(world: World, strategy: string): Promise<MoveTiming> {
  const admin = world.tokens.platform();
  const started = performance.now();
  const patched = await call(world.port, {
    method: 'PATCH',
    path: '/v1/admin/tenants/mover',
    token: admin,
    localAddress: '127.0.0.3',
    body: { backend: 'embedded', strategy },
  });
  if (patched.status !== 202) throw new Error(`PATCH answered ${patched.status} ${patched.body}`);
  const entered = new Map<string, number>();
  for (;;) {
    const view = await call(world.port, {
      method: 'GET',
      path: '/v1/admin/tenants/mover',
      token: admin,
      localAddress: '127.0.0.3',
    });
    const migration = (JSON.parse(view.body) as { migration?: { state: string; error?: string } })
      .migration;
    const state = migration?.state ?? 'settled';
    if (!entered.has(state)) entered.set(state, performance.now());
    if (state === 'settled') break;
    if (state === 'failed' || state === 'rolling_back')
      throw new Error(`the move failed: ${migration?.error ?? state}`);
    await sleep(100);
  }
  const at = (s: string, otherwise: number): number => entered.get(s) ?? otherwise;
  const settled = at('settled', performance.now());
  const copying = at('copying', started);
  const verifying = at('verifying', copying);
  const switched = at('switched', at('retiring', settled));
  return {
    seconds: (settled - started) / 1000,
    copySeconds: (verifying - copying) / 1000,
    verifySeconds: (switched - verifying) / 1000,
  };
}

/** What the report says of a move: its duration, copy rate and verification. */
function describeMove(phase: MovePhase): string {
  if (!phase.move) return `failed: ${phase.error ?? '?'}`;
  const m = phase.move;
  const rate = Math.round(MOVE_RECORDS / m.copySeconds).toLocaleString('en');
  return (
    `${MOVE_RECORDS.toLocaleString('en')} records × ${QUIET_DIM} moved in ${m.seconds.toFixed(1)} s: ` +
    `copy ${m.copySeconds.toFixed(1)} s (${rate} records/s), verify + switch ${m.verifySeconds.toFixed(1)} s`
  );
}
