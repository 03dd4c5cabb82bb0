import { cpSync } from 'node:fs';
import { load, log, percentile, request, RunningServer, SearchRequest, Summary } from './measure';
import { BenchSettings, ms, us } from './report';
import {
  GatewayBench,
  mint,
  openDirect,
  searchRequests,
  startBaseline,
  startGateway,
  TENANT,
} from './targets';

/** One round: the four targets measured one after another at one connection. */
export interface PairedRound {
  /** The order the targets ran in (rotated from round to round). */
  readonly order: readonly string[];
  readonly jwt: Summary;
  readonly key: Summary;
  readonly baseline: Summary;
  readonly direct: Summary;
}

type Slice = 'gateway (JWT)' | 'gateway (API key)' | 'plain Fastify' | 'direct';
const SLICES: readonly Slice[] = ['gateway (JWT)', 'gateway (API key)', 'plain Fastify', 'direct'];
/** Load on each target, before the first round. */
const WARM_UP_SECONDS = 5;

/** The pipeline estimate of a round: gateway p50 − plain Fastify p50 − direct p50, in ms. */
export function pipelineOf(round: PairedRound, credential: 'jwt' | 'key'): number {
  return round[credential].p50 - round.baseline.p50 - round.direct.p50;
}

/**
 * The pipeline's p50 at one connection with its three terms measured side by side. In the main
 * table the gateway, the plain Fastify server and the direct call are measured minutes apart,
 * and on a shared machine the direct call's own p50 moves by more than the aim between two
 * measurements. Here all three stay up together and take turns: each round measures, for
 * `pairedSeconds` each, the gateway with a JWT, the gateway with an API key, the plain Fastify
 * server and the direct call, in an order rotated from round to round, and estimates the
 * pipeline from the round's own figures. Every target is warmed up first (`WARM_UP_SECONDS` at
 * 8 connections), and each slice after a second at one connection (half a second for the direct
 * call). The gateway runs again on the data directory of its
 * earlier run (`gateway`), stopped and copied first: the direct call opens the copy, since one
 * process owns an embedded directory.
 */
export async function benchPaired(
  gateway: GatewayBench,
  work: string,
  queries: readonly number[][],
  settings: BenchSettings,
  baselineArgs: readonly string[],
): Promise<PairedRound[]> {
  const copy = `${gateway.dataDir}-direct`;
  cpSync(gateway.dataDir, copy, { recursive: true });
  const direct = await openDirect(copy, gateway, queries, settings);
  const servers: RunningServer[] = [];
  try {
    const server = await startGateway(gateway.mode, work, gateway.mode);
    servers.push(server);
    const admin = mint(
      { platform: true, roles: 'platform_admin', subject: 'bench' },
      server.secret,
    );
    const reader = mint(
      { tenant: TENANT, roles: 'reader', subject: 'bench-reader' },
      server.secret,
    );
    const { key } = (await request(
      server.base,
      'POST',
      `/v1/admin/tenants/${TENANT}/api-keys`,
      admin,
      { name: 'bench-reader-paired', roles: ['reader'] },
    )) as { key: string };
    const baseline = await startBaseline(work, gateway.responseBody, baselineArgs);
    servers.push(baseline);
    const targets: [Slice, string, SearchRequest[]][] = [
      ['gateway (JWT)', server.base, searchRequests(queries, reader, settings)],
      ['gateway (API key)', server.base, searchRequests(queries, key, settings)],
      // The baseline does not read the credential: the same bytes as the JWT searches.
      ['plain Fastify', baseline.base, searchRequests(queries, reader, settings)],
    ];
    // A process just started keeps getting faster for tens of seconds while V8 optimises its
    // code: thousands of searches at 8 connections first, as the main table's runs had.
    log(`paired rounds: warming up each target for ${WARM_UP_SECONDS} s`);
    for (const [, base, requests] of targets) await load(base, requests, 8, WARM_UP_SECONDS);
    await direct.run(WARM_UP_SECONDS);
    const measure = new Map<Slice, () => Promise<Summary>>([
      ...targets.map(([slice, base, requests]): [Slice, () => Promise<Summary>] => [
        slice,
        async () => {
          await load(base, requests, 1, 1);
          return load(base, requests, 1, settings.pairedSeconds);
        },
      ]),
      ['direct', () => direct.run(settings.pairedSeconds)],
    ]);
    const rounds: PairedRound[] = [];
    for (let r = 0; r < settings.pairedRounds; r++) {
      const order = SLICES.map((_, i) => SLICES[(i + r) % SLICES.length] as Slice);
      const got = new Map<Slice, Summary>();
      for (const slice of order)
        got.set(slice, await (measure.get(slice) as () => Promise<Summary>)());
      const round: PairedRound = {
        order,
        jwt: got.get('gateway (JWT)') as Summary,
        key: got.get('gateway (API key)') as Summary,
        baseline: got.get('plain Fastify') as Summary,
        direct: got.get('direct') as Summary,
      };
      rounds.push(round);
      log(
        `paired round ${r + 1}/${settings.pairedRounds}: pipeline p50 ` +
          `${us(pipelineOf(round, 'jwt'))} µs (JWT), ${us(pipelineOf(round, 'key'))} µs (API key)`,
      );
    }
    return rounds;
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await direct.close();
  }
}

const median = (xs: readonly number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

const HEAD = [
  'round',
  'gateway JWT p50 ms',
  'gateway API key p50 ms',
  'plain Fastify p50 ms',
  'direct p50 ms',
  'pipeline p50 µs (JWT)',
  'pipeline p50 µs (API key)',
];

/** The rounds' rows and, last, the median of each column over the rounds. */
function pairedRows(rounds: readonly PairedRound[]): string[][] {
  const cells = (label: string, pick: (f: (r: PairedRound) => number) => number): string[] => [
    label,
    ms(pick((r) => r.jwt.p50)),
    ms(pick((r) => r.key.p50)),
    ms(pick((r) => r.baseline.p50)),
    ms(pick((r) => r.direct.p50)),
    us(pick((r) => pipelineOf(r, 'jwt'))),
    us(pick((r) => pipelineOf(r, 'key'))),
  ];
  return [
    ...rounds.map((round, i) => cells(String(i + 1), (f) => f(round))),
    cells('median', (f) => median(rounds.map(f))),
  ];
}

export function pairedMarkdown(rounds: readonly PairedRound[], settings: BenchSettings): string {
  const lines = [
    '## Pipeline at one connection, measured side by side (AUDIT_MODE=async)',
    '',
    `After ${WARM_UP_SECONDS} s of load on each target (8 connections), ${rounds.length} rounds; in`,
    `each, ${settings.pairedSeconds} s per target at one connection after a 1 s warm-up (0.5 s for`,
    'the direct call), the targets in an order rotated from round to round; the gateway on the',
    'data of its run above (restarted), the direct call on a copy of that data.',
    '"pipeline p50 µs" = gateway p50 − plain Fastify p50 − direct p50, from the same round.',
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...pairedRows(rounds).map((row) => `| ${row.join(' | ')} |`),
    '',
    'Order of the rounds: ' + rounds.map((r, i) => `${i + 1}. ${r.order.join(', ')}`).join('; '),
    '',
  ];
  return lines.join('\n');
}

export function pairedText(rounds: readonly PairedRound[]): string {
  const data = [HEAD, ...pairedRows(rounds)];
  const widths = HEAD.map((_, i) => Math.max(...data.map((row) => (row[i] ?? '').length)));
  return data.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}
